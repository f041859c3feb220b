using System.Security.Cryptography;
using System.Text;
using Sluice.Core.Configuration;

namespace Sluice.State.Secrets;

/// <summary>
/// The 256-bit key every stored secret is encrypted under. It comes from <c>SLUICE_MASTER_KEY</c> (base64 of 32
/// bytes), or else a file holding that text: <c>SLUICE_MASTER_KEY_FILE</c>, or else <c>state.master_key_file</c>. A key
/// file readable by its group or by others is refused. The key is never stored; its <see cref="Id"/> is, beside each
/// value, so that the wrong key is told apart from a tampered value.
/// </summary>
public sealed class MasterKey
{
    /// <summary>The environment variable holding the key itself.</summary>
    public const string Variable = "SLUICE_MASTER_KEY";

    /// <summary>The environment variable naming the key file.</summary>
    public const string FileVariable = "SLUICE_MASTER_KEY_FILE";

    /// <summary>What an error about a missing or malformed key says to do.</summary>
    public const string Fix =
        "give the master key as SLUICE_MASTER_KEY (base64 of 32 random bytes), or in a file named by SLUICE_MASTER_KEY_FILE "
        + "or state.master_key_file (mode 0600); `sluice secrets new-key --file PATH` writes one (docs/secrets.md)";

    private const int KeyBytes = 32;
    private readonly byte[] _key;

    private MasterKey(byte[] key)
    {
        _key = key;
        // A hash of the key under a fixed label: identifies it without revealing anything usable about it.
        var hash = SHA256.HashData([.. Encoding.ASCII.GetBytes("sluice-master-key-id:"), .. key]);
        Id = Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }

    /// <summary>16 hex digits naming the key (stored beside each value it encrypted).</summary>
    public string Id { get; }

    /// <summary>The key bytes, for the cipher only.</summary>
    internal ReadOnlySpan<byte> Bytes => _key;

    /// <summary>A new random key.</summary>
    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(KeyBytes));

    /// <summary>The key as text, as SLUICE_MASTER_KEY and key files hold it.</summary>
    public string ToBase64() => Convert.ToBase64String(_key);

    public override string ToString() => $"master key {Id}";

    /// <summary>
    /// The key the environment or the config gives (in that order: <c>SLUICE_MASTER_KEY</c>, <c>SLUICE_MASTER_KEY_FILE</c>,
    /// <c>state.master_key_file</c>), or null when none is given. A malformed key or an unsafe file is an error.
    /// </summary>
    public static MasterKey? FromEnvironment(string? configuredFile, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (environment(Variable) is { Length: > 0 } text)
        {
            return Parse(text, Variable);
        }

        if (environment(FileVariable) is { Length: > 0 } file)
        {
            return FromFile(file, FileVariable);
        }

        return configuredFile is { Length: > 0 } ? FromFile(configuredFile, "state.master_key_file") : null;
    }

    /// <summary>Like <see cref="FromEnvironment"/>, but a missing key is an error saying how to give one.</summary>
    public static MasterKey Require(string? configuredFile, Func<string, string?>? environment = null) =>
        FromEnvironment(configuredFile, environment) ?? throw new ConfigException(null, "no master key is given to encrypt and decrypt secrets with", Fix);

    /// <summary>Reads a key file: base64 text of 32 bytes; refused when its group or others may read or write it.</summary>
    public static MasterKey FromFile(string path, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new ConfigException(null, $"master key file '{path}' ({source}) does not exist", Fix);
        }

        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            var mode = File.GetUnixFileMode(path);
            if ((mode & others) != 0)
            {
                throw new ConfigException(
                    null,
                    $"master key file '{path}' may be read by other users (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); Sluice refuses to use it",
                    $"chmod 600 '{path}' (and keep it owned by the user running sluice)");
            }
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(null, $"master key file '{path}' cannot be read: {e.Message}", "give the user running sluice read access to it (mode 0600)");
        }

        return Parse(text, $"master key file '{path}'");
    }

    /// <summary>Base64 of exactly 32 bytes; the error never quotes the text.</summary>
    public static MasterKey Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = new byte[KeyBytes + 3];
        if (!Convert.TryFromBase64String(text.Trim(), buffer, out var written) || written != KeyBytes)
        {
            throw new ConfigException(null, $"{source} is not a master key: it must be the base64 text of 32 bytes (44 characters)", Fix);
        }

        return new MasterKey(buffer[..KeyBytes]);
    }

    /// <summary>Writes a new key file readable only by its owner (0600), refusing to overwrite one.</summary>
    public void WriteNewFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.WriteLine(ToBase64());
    }
}
