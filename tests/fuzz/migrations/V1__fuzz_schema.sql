-- The fuzz test's schema (tests/FuzzTest.java): one column of each kind a seed file fills.
CREATE TABLE venues (
    id   serial PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL
);

CREATE TABLE items (
    id       serial PRIMARY KEY,
    code     text NOT NULL UNIQUE,
    qty      integer NOT NULL DEFAULT 0 CHECK (qty >= 0),
    price    numeric(10, 2) CHECK (price >= 0),
    active   boolean NOT NULL DEFAULT true,
    meta     jsonb,
    tags     text[],
    listed   date,
    venue_id integer REFERENCES venues (id),
    note     text
);

-- The same columns, filled from a CSV file.
CREATE TABLE stock (
    id       serial PRIMARY KEY,
    code     text NOT NULL UNIQUE,
    qty      integer NOT NULL DEFAULT 0 CHECK (qty >= 0),
    price    numeric(10, 2) CHECK (price >= 0),
    active   boolean NOT NULL DEFAULT true,
    meta     jsonb,
    tags     text[],
    listed   date,
    venue_id integer REFERENCES venues (id),
    note     text
);
