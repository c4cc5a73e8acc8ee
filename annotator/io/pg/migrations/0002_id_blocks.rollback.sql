DROP SEQUENCE annotator_id_blocks;
