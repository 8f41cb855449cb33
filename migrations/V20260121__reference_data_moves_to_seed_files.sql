-- Documentation migration: it changes no schema and no data.
--
-- Until now the LLM models were INSERTed by the 20251218.0421 migration of the old
-- (Alembic) history, which mixed schema with data and made every price change a
-- new migration. From this version on, reference data lives in seeds/*.yaml and is
-- upserted by `jbang seed_database.java`, idempotently. Never INSERT reference data
-- in a migration: edit the seed file and rerun.

COMMENT ON TABLE llm_models IS
    'Registry of LLM models and their pricing. Reference data: edit seeds/llm_models.yaml and run seed_database.java; never INSERT in a migration.';
