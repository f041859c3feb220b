namespace Sluice.Postgres.Security;

/// <summary>
/// Where a postgres connection's password comes from: a fixed secret, or a short-lived token (RDS IAM,
/// Cloud SQL, Vault) fetched when a new physical connection logs in. Open connections keep working when the
/// token expires; only new logins need a fresh one.
/// </summary>
public interface IPasswordProvider
{
    /// <summary>The password for the next login. Called for every new physical connection, so cache if fetching is slow.</summary>
    /// <exception cref="Core.Errors.SluiceException">The password could not be obtained; the message never contains it.</exception>
    ValueTask<string> GetPasswordAsync(CancellationToken ct);
}
