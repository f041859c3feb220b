namespace Sluice.Dev.Demo.Internal;

/// <summary>
/// The demo tables' DDL. Tables are created bare and get their keys, foreign keys and indexes after the
/// load: one index build per index is several times faster than maintaining it row by row, and a foreign
/// key added to a full table is checked by one join instead of a trigger per row.
/// </summary>
internal sealed class DemoSchema(string schema)
{
    public string QuotedName { get; } = Quote(schema);

    public string Accounts => $"{QuotedName}.accounts";

    public string Users => $"{QuotedName}.users";

    public string Orders => $"{QuotedName}.orders";

    public string CreateAccounts => $"""
        CREATE TABLE IF NOT EXISTS {Accounts} (
            id bigint NOT NULL,
            name text NOT NULL,
            domain text NOT NULL,
            plan text NOT NULL CHECK (plan IN ('free', 'trial', 'pro', 'enterprise')),
            seats integer NOT NULL,
            mrr numeric(12,2) NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """;

    public string CreateUsers => $"""
        CREATE TABLE IF NOT EXISTS {Users} (
            id bigint NOT NULL,
            account_id bigint NOT NULL,
            email text NOT NULL,
            first_name text NOT NULL,
            last_name text NOT NULL,
            plan text NOT NULL CHECK (plan IN ('free', 'trial', 'pro', 'enterprise')),
            status text NOT NULL CHECK (status IN ('trial', 'active', 'paid', 'churned')),
            signup_at timestamptz NOT NULL,
            last_seen_at timestamptz,
            lifetime_value numeric(12,2) NOT NULL,
            country char(2) NOT NULL,
            attributes jsonb NOT NULL,
            tags text[] NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """;

    public string CreateOrders => $"""
        CREATE TABLE IF NOT EXISTS {Orders} (
            id bigint NOT NULL,
            user_id bigint NOT NULL,
            amount numeric(12,2) NOT NULL,
            currency char(3) NOT NULL,
            status text NOT NULL CHECK (status IN ('pending', 'paid', 'refunded', 'failed')),
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """;

    public string ConstrainAccounts =>
        $"ALTER TABLE {Accounts} ADD CONSTRAINT accounts_pkey PRIMARY KEY (id), ADD CONSTRAINT accounts_domain_key UNIQUE (domain)";

    public string ConstrainUsers =>
        $"ALTER TABLE {Users} ADD CONSTRAINT users_pkey PRIMARY KEY (id), ADD CONSTRAINT users_email_key UNIQUE (email)";

    public string ConstrainUsersForeignKeys =>
        $"ALTER TABLE {Users} ADD CONSTRAINT users_account_id_fkey FOREIGN KEY (account_id) REFERENCES {Accounts} (id)";

    public string ConstrainOrders =>
        $"ALTER TABLE {Orders} ADD CONSTRAINT orders_pkey PRIMARY KEY (id)";

    public string ConstrainOrdersForeignKeys =>
        $"ALTER TABLE {Orders} ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES {Users} (id)";

    /// <summary>(updated_at, id) serves the keyset pagination of cursor syncs; the others, the foreign keys.</summary>
    public IEnumerable<string> Indexes =>
    [
        $"CREATE INDEX IF NOT EXISTS accounts_updated_at_id_idx ON {Accounts} (updated_at, id)",
        $"CREATE INDEX IF NOT EXISTS users_updated_at_id_idx ON {Users} (updated_at, id)",
        $"CREATE INDEX IF NOT EXISTS users_account_id_idx ON {Users} (account_id)",
        $"CREATE INDEX IF NOT EXISTS orders_updated_at_id_idx ON {Orders} (updated_at, id)",
        $"CREATE INDEX IF NOT EXISTS orders_user_id_idx ON {Orders} (user_id)",
    ];

    public string CopyAccounts(bool freeze) =>
        $"COPY {Accounts} (id, name, domain, plan, seats, mrr, created_at, updated_at) FROM STDIN {CopyOptions(freeze)}";

    public string CopyUsers(bool freeze) =>
        $"COPY {Users} (id, account_id, email, first_name, last_name, plan, status, signup_at, last_seen_at, lifetime_value, country, attributes, tags, updated_at) FROM STDIN {CopyOptions(freeze)}";

    public string CopyOrders(bool freeze) =>
        $"COPY {Orders} (id, user_id, amount, currency, status, created_at, updated_at) FROM STDIN {CopyOptions(freeze)}";

    private static string Quote(string identifier) => Embedded.LocalCluster.QuoteIdentifier(identifier);

    // FREEZE writes the rows already frozen and all-visible, so the first reader (a sync, a benchmark) does not
    // pay for setting hint bits on every page. PostgreSQL allows it only on a table created in this transaction.
    private static string CopyOptions(bool freeze) => freeze ? "(FORMAT BINARY, FREEZE)" : "(FORMAT BINARY)";
}
