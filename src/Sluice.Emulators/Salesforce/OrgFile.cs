using Sluice.Core.Errors;
using Sluice.Emulators.Salesforce.Org;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Sluice.Emulators.Salesforce;

/// <summary>Reads the org file of <c>sluice emulate salesforce --org FILE</c> (YAML; see docs/emulators.md).</summary>
public static class OrgFile
{
    /// <summary>Loads and checks <paramref name="path"/>; certificate files are read relative to it. Throws a config <see cref="SluiceException"/> naming the problem.</summary>
    public static OrgDefinition Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw SluiceException.Config($"The org file {path} cannot be read: {ex.Message}");
        }

        var definition = Parse(text, path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        foreach (var app in definition.ConnectedApps.Where(a => a.CertificateFile is not null))
        {
            var file = Path.Combine(folder, app.CertificateFile!);
            try
            {
                app.Certificate = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw SluiceException.Config($"The org file {path} names the certificate file {file} for the connected app \"{app.ClientId}\", which cannot be read: {ex.Message}");
            }
        }

        // Build once so a mistake in a field surfaces now, with the file's name, not at the first request.
        _ = new SalesforceOrg(definition);
        return definition;
    }

    /// <summary>Parses org-file YAML; <paramref name="source"/> names it in error messages.</summary>
    public static OrgDefinition Parse(string yaml, string source = "the org file")
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
        OrgDefinition? definition;
        try
        {
            definition = deserializer.Deserialize<OrgDefinition>(yaml);
        }
        catch (YamlException ex)
        {
            throw SluiceException.Config($"{source} is not a valid org file at line {ex.Start.Line}: {(ex.InnerException ?? ex).Message}");
        }

        definition ??= new OrgDefinition();
        var defaults = OrgDefinition.Default();
        if (definition.Users.Count == 0)
        {
            definition.Users = defaults.Users;
        }

        if (definition.ConnectedApps.Count == 0)
        {
            definition.ConnectedApps = defaults.ConnectedApps;
        }

        if (definition.Users.FirstOrDefault(u => string.IsNullOrWhiteSpace(u.Username)) is not null)
        {
            throw SluiceException.Config($"{source}: every user needs a username.");
        }

        if (definition.ConnectedApps.FirstOrDefault(a => string.IsNullOrWhiteSpace(a.ClientId)) is not null)
        {
            throw SluiceException.Config($"{source}: every connected app needs a clientId.");
        }

        if (definition.DailyApiRequests <= 0)
        {
            throw SluiceException.Config($"{source}: dailyApiRequests must be 1 or more.");
        }

        return definition;
    }
}
