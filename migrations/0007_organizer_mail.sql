-- An organizer's own sender name and reply-to address for the emails about its orders; unset,
-- its name and email are used.
ALTER TABLE organizers ADD COLUMN mail_sender_name TEXT;
ALTER TABLE organizers ADD COLUMN mail_reply_to TEXT;
