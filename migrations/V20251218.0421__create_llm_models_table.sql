-- The registry of LLM models the trading agents can run on, with their pricing.
--
-- Schema only. The rows are reference data and live in seeds/llm_models.yaml,
-- applied by seed_database.java; this migration never inserts any.

CREATE TABLE llm_models (
    id                        uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    model_id                  text        NOT NULL UNIQUE,   -- natural key, as the provider's API names it: gpt-4o
    provider                  text        NOT NULL,          -- openai, lmstudio, ...
    display_name              text        NOT NULL,
    description               text,
    max_tokens                integer     NOT NULL CHECK (max_tokens > 0),   -- context window, in tokens
    supports_functions        boolean     NOT NULL DEFAULT false,
    supports_vision           boolean     NOT NULL DEFAULT false,
    cost_per_1k_input_tokens  numeric(12, 6) NOT NULL DEFAULT 0 CHECK (cost_per_1k_input_tokens >= 0),   -- USD
    cost_per_1k_output_tokens numeric(12, 6) NOT NULL DEFAULT 0 CHECK (cost_per_1k_output_tokens >= 0),  -- USD
    typical_agent_cost        numeric(10, 4) NOT NULL DEFAULT 0 CHECK (typical_agent_cost >= 0),         -- USD per agent execution
    is_active                 boolean     NOT NULL DEFAULT true,
    is_default                boolean     NOT NULL DEFAULT false,
    environment               text        NOT NULL DEFAULT 'all'
                                          CHECK (environment IN ('all', 'development', 'production')),
    model_metadata            jsonb       NOT NULL DEFAULT '{}',   -- quality, speed, recommended_for, notes
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT llm_models_default_is_active CHECK (is_active OR NOT is_default)
);

-- At most one default model. Deferred to the end of the transaction, so that one
-- seed run can move the default from one model to another.
ALTER TABLE llm_models ADD CONSTRAINT llm_models_one_default
    EXCLUDE USING btree (is_default WITH =) WHERE (is_default)
    DEFERRABLE INITIALLY DEFERRED;
COMMENT ON CONSTRAINT llm_models_one_default ON llm_models IS
    'At most one model is the default: give is_default: true to exactly one row of seeds/llm_models.yaml.';

-- updated_at moves only when a row really changes; a seed run that changes nothing touches no row.
CREATE FUNCTION llm_models_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER llm_models_updated_at BEFORE UPDATE ON llm_models
    FOR EACH ROW EXECUTE FUNCTION llm_models_set_updated_at();
