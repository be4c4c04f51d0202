-- The account a mail was written for (NULL for webhook events and for mail to someone who
-- is not an account holder, such as an event's applicant). Erasing an account forgets its
-- mail by this column as well as by its current address, so mail queued to an address it
-- had before goes too. No index: the mail is looked up this way only by an erasure (which
-- already reads the outbox for the addresses), and every queued mail would pay for one.
ALTER TABLE outbox ADD COLUMN account_id TEXT;
