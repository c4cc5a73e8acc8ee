-- Blocks of ids for new records: each annotator's session takes 64 at a time (nextval is outside
-- transactions, so a block is never handed out twice), and annotators adding boxes at once never pick
-- the same id.
-- depends: 0001_initial
CREATE SEQUENCE annotator_id_blocks INCREMENT BY 64 START WITH 1;
