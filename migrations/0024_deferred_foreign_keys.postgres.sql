-- Foreign keys to the rows every checkout and every payment shares (the organizer, the event, a
-- hot variant) are checked at COMMIT instead of at each INSERT. Checked at once, each check took a
-- FOR KEY SHARE lock on the shared row for the rest of the transaction; with dozens of checkouts at
-- once the row's lockers became a MultiXact that every later check and the seat UPDATE had to read
-- (GetMultiXactIdMembers was 14% of PostgreSQL's CPU on a hot variant). At COMMIT the variant's
-- check finds the row already locked by the transaction's own seat UPDATE, and the others hold
-- their lock for the commit only. The constraints are the same; only when they are checked moves.
ALTER TABLE orders ALTER CONSTRAINT orders_organizer_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE orders ALTER CONSTRAINT orders_event_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE order_lines ALTER CONSTRAINT order_lines_variant_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE order_lines ALTER CONSTRAINT order_lines_organizer_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE order_lines ALTER CONSTRAINT order_lines_order_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE tickets ALTER CONSTRAINT tickets_order_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE tickets ALTER CONSTRAINT tickets_event_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE tickets ALTER CONSTRAINT tickets_organizer_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE tickets ALTER CONSTRAINT tickets_variant_id_fkey DEFERRABLE INITIALLY DEFERRED;
