using Npgsql;
using Sluice.Dev.Demo;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Demo;

public sealed class DemoDatasetTests
{
    [Fact]
    public async Task Loads_one_account_per_ten_users_and_about_the_requested_orders_per_user()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Loads_one_account_per_ten_users_and_about_the_requested_orders_per_user));

        var summary = await DemoDataset.CreateAsync(db, new DemoDatasetOptions { Users = 3_000, OrdersPerUser = 3 });

        Assert.Equal(300, summary.Accounts);
        Assert.Equal(3_000, summary.Users);
        Assert.InRange(summary.Orders, 2.7 * 3_000, 3.3 * 3_000);
        Assert.Equal(summary, await CountAsync(db, "public"));
    }

    [Fact]
    public async Task A_second_call_loads_nothing_and_returns_what_is_there()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_second_call_loads_nothing_and_returns_what_is_there));
        var first = await DemoDataset.CreateAsync(db, new DemoDatasetOptions { Users = 1_000 });
        var progress = new RecordingProgress();

        var second = await DemoDataset.CreateAsync(db, new DemoDatasetOptions { Users = 5_000, Seed = 7 }, progress);

        Assert.Equal(first, second);
        Assert.Empty(progress.Reports);
        Assert.Equal(first, await CountAsync(db, "public"));
    }

    [Fact]
    public async Task Concurrent_calls_load_the_dataset_once()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Concurrent_calls_load_the_dataset_once));
        var options = new DemoDatasetOptions { Users = 2_000 };

        var summaries = await Task.WhenAll(DemoDataset.CreateAsync(db, options), DemoDataset.CreateAsync(db, options));

        Assert.Equal(summaries[0], summaries[1]);
        Assert.Equal(2_000, (await CountAsync(db, "public")).Users);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_rows_and_another_seed_other_rows()
    {
        var options = new DemoDatasetOptions { Users = 2_000, OrdersPerUser = 2, Seed = 1234 };
        await using var a = await TestPostgres.CreateDataSourceAsync("demo_seed_a");
        await using var b = await TestPostgres.CreateDataSourceAsync("demo_seed_b");
        await using var c = await TestPostgres.CreateDataSourceAsync("demo_seed_c");
        await DemoDataset.CreateAsync(a, options);
        await DemoDataset.CreateAsync(b, options);
        await DemoDataset.CreateAsync(c, new DemoDatasetOptions { Users = 2_000, OrdersPerUser = 2, Seed = 1235 });

        const string Fingerprint = """
            SELECT md5(string_agg(concat_ws('|', id, account_id, email, first_name, last_name, plan, status, signup_at,
                                            last_seen_at, lifetime_value, country, attributes, tags, updated_at), E'\n' ORDER BY id))
            FROM users
            """;
        const string Emails = "SELECT string_agg(email, ',' ORDER BY id) FROM users";
        const string Orders = "SELECT md5(string_agg(concat_ws('|', id, user_id, amount, currency, status, created_at, updated_at), E'\n' ORDER BY id)) FROM orders";

        Assert.Equal(await ScalarAsync<string>(a, Emails), await ScalarAsync<string>(b, Emails));
        Assert.Equal(await ScalarAsync<string>(a, Fingerprint), await ScalarAsync<string>(b, Fingerprint));
        Assert.Equal(await ScalarAsync<string>(a, Orders), await ScalarAsync<string>(b, Orders));
        Assert.NotEqual(await ScalarAsync<string>(a, Emails), await ScalarAsync<string>(c, Emails));
    }

    [Fact]
    public async Task Many_users_share_an_updated_at_so_keyset_pagination_meets_ties()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Many_users_share_an_updated_at_so_keyset_pagination_meets_ties));
        await DemoDataset.CreateAsync(db, new DemoDatasetOptions { Users = 20_000, OrdersPerUser = 0 });

        var tiedRows = await ScalarAsync<long>(db, "SELECT coalesce(sum(n), 0)::bigint FROM (SELECT count(*) AS n FROM users GROUP BY updated_at HAVING count(*) > 1) t");
        var largestTie = await ScalarAsync<long>(db, "SELECT max(n) FROM (SELECT count(*) AS n FROM users GROUP BY updated_at) t");

        Assert.InRange(tiedRows, 2_000, 20_000);
        Assert.True(largestTie >= 500, $"the largest group of users sharing an updated_at has {largestTie} rows");
    }

    [Fact]
    public async Task Rows_carry_nulls_json_arrays_money_and_non_ascii_names()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Rows_carry_nulls_json_arrays_money_and_non_ascii_names));
        await DemoDataset.CreateAsync(db, new DemoDatasetOptions { Users = 5_000 });

        Assert.True(await ScalarAsync<long>(db, "SELECT count(*) FROM users WHERE last_seen_at IS NULL") > 0);
        Assert.True(await ScalarAsync<long>(db, "SELECT count(*) FROM users WHERE cardinality(tags) > 0") > 0);
        Assert.True(await ScalarAsync<long>(db, "SELECT count(*) FROM users WHERE first_name ~ '[^[:ascii:]]' OR last_name ~ '[^[:ascii:]]'") > 0);
        Assert.True(await ScalarAsync<long>(db, "SELECT count(*) FROM users WHERE lifetime_value > 0 AND lifetime_value <> round(lifetime_value)") > 0);
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM users WHERE jsonb_typeof(attributes) <> 'object' OR attributes->>'source' IS NULL"));
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM users WHERE email !~ '^[a-z._]+[0-9]+@[a-z0-9.-]+\\.(example|com|net|org)$'"));
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM users WHERE signup_at > updated_at OR last_seen_at < signup_at"));
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE o.created_at < u.signup_at"));
    }

    [Fact]
    public async Task Tables_get_keys_foreign_keys_keyset_indexes_and_statistics()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Tables_get_keys_foreign_keys_keyset_indexes_and_statistics));
        await DemoDataset.CreateAsync(db, new DemoDatasetOptions { Users = 1_000 });

        var constraints = await ScalarAsync<string>(db, "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE contype IN ('p', 'u', 'f') AND connamespace = 'public'::regnamespace");
        var indexes = await ScalarAsync<string>(db, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%updated_at_id_idx'");
        var analyzed = await ScalarAsync<long>(db, "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('accounts', 'users', 'orders') AND last_analyze IS NOT NULL");

        Assert.Equal("accounts_domain_key,accounts_pkey,orders_pkey,orders_user_id_fkey,users_account_id_fkey,users_email_key,users_pkey", constraints);
        Assert.Equal("accounts_updated_at_id_idx,orders_updated_at_id_idx,users_updated_at_id_idx", indexes);
        Assert.Equal(3L, analyzed);
    }

    [Fact]
    public async Task Loads_into_the_schema_it_is_given()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Loads_into_the_schema_it_is_given));

        var summary = await DemoDataset.CreateAsync(db, new DemoDatasetOptions { Users = 500, Schema = "Demo Data" });

        Assert.Equal(summary, await CountAsync(db, "\"Demo Data\""));
        Assert.True(await ScalarAsync<bool>(db, "SELECT to_regclass('public.users') IS NULL"));
    }

    [Fact]
    public async Task Reports_progress_up_to_every_row_loaded()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Reports_progress_up_to_every_row_loaded));
        var progress = new RecordingProgress();

        var summary = await DemoDataset.CreateAsync(db, new DemoDatasetOptions { Users = 12_345 }, progress);

        Assert.Equal(summary.Accounts + summary.Users + summary.Orders, progress.Reports[^1]);
        Assert.Equal(progress.Reports.Order(), progress.Reports);
        Assert.True(progress.Reports.Count > 3);
    }

    private static async Task<DemoDatasetSummary> CountAsync(NpgsqlDataSource db, string schema) =>
        new(
            await ScalarAsync<long>(db, $"SELECT count(*) FROM {schema}.accounts"),
            await ScalarAsync<long>(db, $"SELECT count(*) FROM {schema}.users"),
            await ScalarAsync<long>(db, $"SELECT count(*) FROM {schema}.orders"));

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? default! : (T)value!;
    }

    /// <summary>Records synchronously; <see cref="Progress{T}"/> would post to the test's synchronization context.</summary>
    private sealed class RecordingProgress : IProgress<long>
    {
        public List<long> Reports { get; } = [];

        public void Report(long value)
        {
            lock (Reports)
            {
                Reports.Add(value);
            }
        }
    }
}
