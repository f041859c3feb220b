using Sluice.Emulators.Segment;

namespace Sluice.EndToEnd;

/// <summary>
/// The standard bed: a <c>users</c> table (ids 1..N, ten rows per <c>updated_at</c> value, so ties abound) and a
/// cursor sync of it to Segment as identify calls.
/// </summary>
internal static class SyncTestBed
{
    public const string SyncName = "users_to_segment";

    /// <param name="name">Names the test's database.</param>
    /// <param name="users">Rows in <c>public.users</c>, with ids 1..users.</param>
    /// <param name="syncExtra">YAML appended inside the sync (indented by 4), e.g. <c>batch: {size: 100}</c>.</param>
    /// <param name="emulator">Emulator options (faults, write keys).</param>
    public static Task<TestBed> CreateAsync(string name, int users, string syncExtra = "", SegmentEmulatorOptions? emulator = null) =>
        TestBed.CreateAsync(name,
            $"""
            CREATE TABLE users (
                id bigint PRIMARY KEY,
                email text NOT NULL,
                plan text NOT NULL,
                bio text,
                updated_at timestamptz NOT NULL
            );
            CREATE INDEX users_cursor ON users (updated_at, id);
            INSERT INTO users
            SELECT i, 'user' || i || '@example.com', (ARRAY['free','trial','pro'])[1 + i % 3], NULL,
                   '2024-01-01'::timestamptz + (i / 10) * interval '1 second'
            FROM generate_series(1, {users}) i;
            """,
            at => $"""
                {at.Connections(writeKey: "${TEST_WRITE_KEY:-test-key}", requestsPerSecond: 10000)}
                syncs:
                  {SyncName}:
                    source:
                      connection: app
                      table: public.users
                      cursor: updated_at
                    destination:
                      connection: segment
                      call: identify
                    mapping:
                      user_id: id
                      timestamp: updated_at
                      traits:
                        email: email
                        plan: plan
                        bio: bio
                {string.Join('\n', syncExtra.Split('\n').Select(l => "    " + l))}

                """,
            emulator);
}
