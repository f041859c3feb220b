using Sluice.Testing;

namespace Sluice.Postgres.Tests.Connections;

/// <summary>One TLS-only, password-checking cluster for the test classes of <see cref="SecuredPostgresCollection"/>.</summary>
public sealed class SecuredPostgresFixture : IAsyncLifetime
{
    private SecuredTestPostgres? _server;

    public SecuredTestPostgres Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _server = await SecuredTestPostgres.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SecuredPostgresCollection : ICollectionFixture<SecuredPostgresFixture>
{
    public const string Name = "secured postgres";
}
