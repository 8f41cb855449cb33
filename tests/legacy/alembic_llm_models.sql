-- The database the old backend left behind: Alembic's history, and the llm_models table its
-- migration 20251218_0421 created and filled with four hard-coded models. Ids were made by
-- application code (uuid.uuid4()), so the id column has no default; prices are floats.

CREATE TABLE alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version VALUES ('20251218_0421');

CREATE TABLE llm_models (
    id                        uuid NOT NULL,
    model_id                  varchar(100) NOT NULL,
    provider                  varchar(50) NOT NULL,
    display_name              varchar(200) NOT NULL,
    description               text,
    max_tokens                integer NOT NULL,
    supports_functions        boolean,
    supports_vision           boolean,
    cost_per_1k_input_tokens  double precision NOT NULL,
    cost_per_1k_output_tokens double precision NOT NULL,
    typical_agent_cost        double precision NOT NULL,
    is_active                 boolean,
    is_default                boolean,
    environment               varchar(20),
    model_metadata            jsonb,
    created_at                timestamp with time zone DEFAULT now(),
    updated_at                timestamp with time zone DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_llm_models_model_id ON llm_models (model_id);

INSERT INTO llm_models (id, model_id, provider, display_name, description, max_tokens, supports_functions,
                        supports_vision, cost_per_1k_input_tokens, cost_per_1k_output_tokens, typical_agent_cost,
                        is_active, is_default, environment, model_metadata) VALUES
    ('5d0f4c2e-8a1b-4f3e-9c7d-2b6a1e0f9a11', 'gpt-3.5-turbo', 'openai', 'GPT-3.5 Turbo', 'Fast and cheap', 16385, true,
     false, 0.0005, 0.0015, 0.01, true, true, 'all', '{"speed": "fast", "quality": "good"}'),
    ('7a3e9b10-2c4d-4e5f-8a6b-3c7d9e1f2a22', 'gpt-4', 'openai', 'GPT-4', 'Most capable', 8192, true,
     false, 0.03, 0.06, 0.15, true, false, 'all', '{"speed": "medium", "quality": "excellent"}'),
    ('9c5a1d32-4e6f-4a7b-9c8d-5e9f1a3b4c33', 'gpt-4-turbo', 'openai', 'GPT-4 Turbo', 'Faster GPT-4', 128000, true,
     true, 0.01, 0.03, 0.08, true, false, 'all', '{"speed": "fast", "quality": "excellent"}'),
    ('b2d4f6a8-6c8e-4a0b-8d2f-7a1b3c5d6e44', 'lmstudio-local', 'lmstudio', 'LM Studio (local)', 'Local model', 4096, false,
     false, 0, 0, 0, true, false, 'development', '{"base_url": "http://localhost:1234/v1"}');
