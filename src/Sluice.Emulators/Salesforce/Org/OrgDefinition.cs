namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// The org file (<c>--org FILE</c>, YAML): users, connected apps, limits, custom objects and extra fields on
/// standard objects. Every part is optional; <see cref="Default"/> is what an org without a file has.
/// </summary>
public sealed class OrgDefinition
{
    /// <summary>The 18-character organization id (prefix <c>00D</c>). Default: a fixed one.</summary>
    public string? OrganizationId { get; set; }

    /// <summary>The org's rolling 24-hour API request allowance (<c>DailyApiRequests.Max</c>). Default 15,000.</summary>
    public int DailyApiRequests { get; set; } = 15_000;

    /// <summary>Users who can log in. The first one is the acting user of admin writes.</summary>
    public List<UserDefinition> Users { get; set; } = [];

    /// <summary>Connected apps (OAuth clients).</summary>
    public List<ConnectedAppDefinition> ConnectedApps { get; set; } = [];

    /// <summary>Custom objects (names ending <c>__c</c>) and extra fields on standard objects, by object name.</summary>
    public Dictionary<string, ObjectDefinition> Objects { get; set; } = [];

    /// <summary>
    /// One user <c>admin@sluice.test</c> / <c>sluice</c> and one app <c>sluice-client</c> / <c>sluice-secret</c>
    /// holding the refresh token <c>sluice-refresh-token</c> for that user.
    /// </summary>
    public static OrgDefinition Default() => new()
    {
        Users = [new UserDefinition { Username = "admin@sluice.test", Password = "sluice", FirstName = "Sluice", LastName = "Admin" }],
        ConnectedApps =
        [
            new ConnectedAppDefinition
            {
                ClientId = "sluice-client",
                ClientSecret = "sluice-secret",
                RefreshTokens = new() { ["sluice-refresh-token"] = "admin@sluice.test" },
            },
        ],
    };
}

/// <summary>A user of the org file.</summary>
public sealed class UserDefinition
{
    /// <summary>Login name, e.g. <c>integration@example.com</c>.</summary>
    public string Username { get; set; } = "";

    /// <summary>Password for the username-password flow.</summary>
    public string Password { get; set; } = "";

    /// <summary>Security token appended to the password in the password flow. Default none.</summary>
    public string? SecurityToken { get; set; }

    /// <summary>First name.</summary>
    public string? FirstName { get; set; }

    /// <summary>Last name. Default: the part of the username before <c>@</c>.</summary>
    public string? LastName { get; set; }

    /// <summary>Email. Default: the username.</summary>
    public string? Email { get; set; }
}

/// <summary>A connected app (OAuth client) of the org file.</summary>
public sealed class ConnectedAppDefinition
{
    /// <summary>Consumer key.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Consumer secret.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>PEM certificate or public key that verifies JWT bearer assertions (RS256).</summary>
    public string? Certificate { get; set; }

    /// <summary>A file holding <see cref="Certificate"/>, relative to the org file.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Username the client-credentials flow runs as. Default: the org's first user.</summary>
    public string? RunAs { get; set; }

    /// <summary>Whether the username-password flow is allowed. Default true.</summary>
    public bool AllowPasswordFlow { get; set; } = true;

    /// <summary>Whether the client-credentials flow is allowed. Default true.</summary>
    public bool AllowClientCredentials { get; set; } = true;

    /// <summary>
    /// Refresh tokens this app accepts, each mapped to its username: a real org hands them out through the
    /// web-server flow, which needs a browser, so the emulator takes them from the file.
    /// </summary>
    public Dictionary<string, string> RefreshTokens { get; set; } = [];

    /// <summary>
    /// Whether a refresh answers with a new refresh token and invalidates the one sent (the app's "Enable Refresh Token
    /// Rotation" policy). Default false.
    /// </summary>
    public bool RotateRefreshTokens { get; set; }

    /// <summary>Usernames pre-authorized for the JWT bearer flow. Default: every user.</summary>
    public List<string>? JwtUsers { get; set; }
}

/// <summary>A custom object, or extra fields for a standard one.</summary>
public sealed class ObjectDefinition
{
    /// <summary>Label. Default: the name without <c>__c</c>, underscores as spaces.</summary>
    public string? Label { get; set; }

    /// <summary>Plural label. Default: label + "s".</summary>
    public string? PluralLabel { get; set; }

    /// <summary>Key prefix for a custom object (3 characters). Default <c>a01</c>, <c>a02</c>, … in file order.</summary>
    public string? KeyPrefix { get; set; }

    /// <summary>Label of the custom object's Name field. Default "{Label} Name".</summary>
    public string? NameLabel { get; set; }

    /// <summary>Fields by API name.</summary>
    public Dictionary<string, FieldDefinition> Fields { get; set; } = [];
}

/// <summary>A field of the org file.</summary>
public sealed class FieldDefinition
{
    /// <summary>Describe type: string, textarea, email, phone, url, picklist, multipicklist, boolean, int, double, currency, percent, date, datetime, time, reference.</summary>
    public string Type { get; set; } = "string";

    /// <summary>Label. Default: the name without <c>__c</c>, underscores as spaces.</summary>
    public string? Label { get; set; }

    /// <summary>Maximum characters of a text field. Default 255 (textarea 32,000).</summary>
    public int? Length { get; set; }

    /// <summary>Total digits of a number. Default 18.</summary>
    public int? Precision { get; set; }

    /// <summary>Digits after the point. Default 0 (currency 2).</summary>
    public int? Scale { get; set; }

    /// <summary>Required on create and never null.</summary>
    public bool Required { get; set; }

    /// <summary>An external id (also idLookup).</summary>
    public bool ExternalId { get; set; }

    /// <summary>Unique among live records.</summary>
    public bool Unique { get; set; }

    /// <summary>Unique and external-id matching respects case.</summary>
    public bool CaseSensitive { get; set; }

    /// <summary>Picklist values.</summary>
    public List<string> Values { get; set; } = [];

    /// <summary>Only the listed picklist values are accepted.</summary>
    public bool Restricted { get; set; }

    /// <summary>Picklist value a new record gets.</summary>
    public string? Default { get; set; }

    /// <summary>Referenced object(s) of a reference field.</summary>
    public List<string> ReferenceTo { get; set; } = [];

    /// <summary>Relationship name of a reference. Default: the name with <c>__c</c> replaced by <c>__r</c>.</summary>
    public string? RelationshipName { get; set; }
}
