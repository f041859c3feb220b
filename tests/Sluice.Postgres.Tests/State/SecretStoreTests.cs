using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.State;
using Sluice.State.Secrets;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.State;

/// <summary>Secrets at rest: AES-GCM under the master key, nothing readable in the database without it.</summary>
public sealed class SecretStoreTests
{
    private const string Plaintext = "wk_live_9f8e7d6c5b4a-plaintext";

    [Fact]
    public async Task A_secret_is_stored_encrypted_and_read_back_with_the_master_key()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_secret_is_stored_encrypted_and_read_back_with_the_master_key));
        var store = (await PostgresStateStore.OpenAsync(db)).Secrets;
        var key = MasterKey.Generate();

        Assert.True(await store.SetAsync("SEGMENT_WRITE_KEY", Plaintext, key, default));

        Assert.Equal(Plaintext, await store.FindAsync("SEGMENT_WRITE_KEY", key, default));
        var table = await ScalarAsync(db, "SELECT string_agg(s::text, E'\\n') FROM sluice.secrets s");
        Assert.DoesNotContain(Plaintext, table, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(Plaintext)), table, StringComparison.Ordinal);
        Assert.DoesNotContain(key.ToBase64(), table, StringComparison.Ordinal);
        Assert.Contains(key.Id, table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_value_gets_its_own_nonce()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Each_value_gets_its_own_nonce));
        var store = (await PostgresStateStore.OpenAsync(db)).Secrets;
        var key = MasterKey.Generate();

        await store.SetAsync("A", Plaintext, key, default);
        await store.SetAsync("B", Plaintext, key, default);

        Assert.Equal("2", await ScalarAsync(db, "SELECT count(DISTINCT nonce)::text || '' FROM sluice.secrets"));
        Assert.Equal("2", await ScalarAsync(db, "SELECT count(DISTINCT ciphertext)::text FROM sluice.secrets"));
    }

    [Fact]
    public async Task Setting_a_secret_again_replaces_its_value_and_keeps_its_creation_time()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Setting_a_secret_again_replaces_its_value_and_keeps_its_creation_time));
        var store = (await PostgresStateStore.OpenAsync(db)).Secrets;
        var key = MasterKey.Generate();

        Assert.True(await store.SetAsync("TOKEN", "first", key, default));
        Assert.False(await store.SetAsync("TOKEN", "second", key, default));

        Assert.Equal("second", await store.FindAsync("TOKEN", key, default));
        var listed = Assert.Single(await store.ListAsync(default));
        Assert.Equal(("TOKEN", key.Id), (listed.Name, listed.KeyId));
        Assert.True(listed.UpdatedAt >= listed.CreatedAt);
        Assert.True(await store.RemoveAsync("TOKEN", default));
        Assert.False(await store.RemoveAsync("TOKEN", default));
        Assert.Null(await store.FindAsync("TOKEN", key, default));
    }

    [Fact]
    public async Task Another_master_key_cannot_read_a_secret_and_says_which_key_it_needs()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Another_master_key_cannot_read_a_secret_and_says_which_key_it_needs));
        var store = (await PostgresStateStore.OpenAsync(db)).Secrets;
        var key = MasterKey.Generate();
        var other = MasterKey.Generate();
        await store.SetAsync("TOKEN", Plaintext, key, default);

        var error = await Assert.ThrowsAsync<ConfigException>(() => store.FindAsync("TOKEN", other, default));

        Assert.Contains($"encrypted under master key {key.Id}, but the master key given is {other.Id}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_moved_to_another_name_does_not_decrypt()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_value_moved_to_another_name_does_not_decrypt));
        var store = (await PostgresStateStore.OpenAsync(db)).Secrets;
        var key = MasterKey.Generate();
        await store.SetAsync("ADMIN_TOKEN", Plaintext, key, default);
        await store.SetAsync("PUBLIC_NOTE", "harmless", key, default);
        await ExecuteAsync(db, "UPDATE sluice.secrets SET (nonce, ciphertext) = (SELECT nonce, ciphertext FROM sluice.secrets WHERE name = 'ADMIN_TOKEN') WHERE name = 'PUBLIC_NOTE'");

        var error = await Assert.ThrowsAsync<SluiceException>(() => store.FindAsync("PUBLIC_NOTE", key, default));

        Assert.Contains("altered or moved from another name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotating_the_master_key_re_encrypts_every_secret_and_the_old_key_no_longer_reads_them()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Rotating_the_master_key_re_encrypts_every_secret_and_the_old_key_no_longer_reads_them));
        var store = (await PostgresStateStore.OpenAsync(db)).Secrets;
        var oldKey = MasterKey.Generate();
        var newKey = MasterKey.Generate();
        await store.SetAsync("A", "value a", oldKey, default);
        await store.SetAsync("B", "value b", oldKey, default);

        Assert.Equal(2, await store.RotateAsync(oldKey, newKey, default));

        Assert.Equal("value a", await store.FindAsync("A", newKey, default));
        Assert.Equal("value b", await store.FindAsync("B", newKey, default));
        Assert.All(await store.ListAsync(default), s => Assert.Equal(newKey.Id, s.KeyId));
        await Assert.ThrowsAsync<ConfigException>(() => store.FindAsync("A", oldKey, default));
        // Run again (an operator unsure whether it finished): nothing left to do, nothing broken.
        Assert.Equal(0, await store.RotateAsync(oldKey, newKey, default));
    }

    [Fact]
    public async Task A_rotation_with_the_wrong_old_key_changes_nothing()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_rotation_with_the_wrong_old_key_changes_nothing));
        var store = (await PostgresStateStore.OpenAsync(db)).Secrets;
        var key = MasterKey.Generate();
        await store.SetAsync("A", "value a", key, default);

        await Assert.ThrowsAsync<ConfigException>(() => store.RotateAsync(MasterKey.Generate(), MasterKey.Generate(), default));

        Assert.Equal("value a", await store.FindAsync("A", key, default));
    }

    [Fact]
    public async Task A_config_reference_is_resolved_from_the_store_and_an_unknown_one_names_the_fix()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_config_reference_is_resolved_from_the_store_and_an_unknown_one_names_the_fix));
        var key = MasterKey.Generate();
        await (await PostgresStateStore.OpenAsync(db)).Secrets.SetAsync("SEGMENT_WRITE_KEY", Plaintext, key, default);
        var config = SluiceConfig.Parse("""
            connections:
              app: {type: postgres, url: "postgres://localhost/app"}
              segment: {type: segment, write_key: "${secret:SEGMENT_WRITE_KEY}"}
              other: {type: segment, write_key: "${secret:MISSING}"}
            """, "sluice.yaml");
        config.UseSecrets(new StateSecretResolver(() => db, "sluice", () => key));

        Assert.Equal(Plaintext, config.FindConnection("segment")!.Settings.GetSecret("write_key")!.Reveal());
        var error = Assert.Throws<ConfigException>(() => config.FindConnection("other")!.Settings.GetSecret("write_key"));
        Assert.Contains("sluice.yaml:4: connections.other.write_key: secret 'MISSING' is not in the state store", error.Message, StringComparison.Ordinal);
        Assert.Contains("sluice secrets set MISSING", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_key_file_readable_by_others_is_refused()
    {
        var folder = Directory.CreateTempSubdirectory("sluice-key-");
        try
        {
            var path = Path.Combine(folder.FullName, "master.key");
            var key = MasterKey.Generate();
            key.WriteNewFile(path);
            Assert.Equal(key.Id, MasterKey.FromFile(path, "test").Id);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var error = Assert.Throws<ConfigException>(() => MasterKey.FromFile(path, "test"));

            Assert.Contains("may be read by other users (mode 0644)", error.Message, StringComparison.Ordinal);
            Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_master_key_comes_from_the_variable_before_the_files_and_a_bad_one_is_never_quoted()
    {
        var key = MasterKey.Generate();
        Assert.Equal(key.Id, MasterKey.FromEnvironment("/nonexistent", n => n == MasterKey.Variable ? key.ToBase64() : null)!.Id);
        Assert.Null(MasterKey.FromEnvironment(null, _ => null));

        var error = Assert.Throws<ConfigException>(() => MasterKey.FromEnvironment(null, n => n == MasterKey.Variable ? "c2hvcnQtc2VjcmV0" : null));

        Assert.Contains("SLUICE_MASTER_KEY is not a master key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2hvcnQtc2VjcmV0", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
