#include <qrencode.h>

/* Exported by libqrencode (3.x and 4.x) but declared only in its internal header: encodes with a
 * given mask (0-7) instead of scoring all eight. QRCode.symbol scores the masks itself. */
extern QRcode *QRcode_encodeMask(QRinput *input, int mask);
