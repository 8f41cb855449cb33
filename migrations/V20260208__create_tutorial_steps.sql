-- The tutorial a new user walks through in development: each step may point at the sample
-- strategy it explains.

CREATE TABLE tutorial_steps (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text        NOT NULL UNIQUE,                    -- natural key, e.g. pick-a-model
    position    integer     NOT NULL CHECK (position > 0),
    title       text        NOT NULL,
    body        text        NOT NULL,
    strategy_id uuid        REFERENCES strategies (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
