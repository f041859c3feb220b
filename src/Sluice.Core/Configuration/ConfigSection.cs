using Sluice.Core.Configuration.Internal;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

/// <summary>
/// One YAML mapping of the config file, read with locations: every value knows its file, line and
/// key path, <c>${VAR}</c> is expanded when a value is read, and every error names the key and the fix.
/// </summary>
/// <remarks>
/// The section remembers which keys the code asked about (through any accessor, present or not),
/// so that after reading its options a component calls <see cref="RejectUnknownKeys()"/> and a
/// typo such as <c>tabel:</c> is reported with "did you mean 'table'?" rather than ignored.
/// A key read only under some condition must be passed to
/// <see cref="RejectUnknownKeys(IEnumerable{string})"/> when it was not read.
/// Child sections are cached, so every reader of <c>source</c> shares the same record of reads.
/// </remarks>
public sealed partial class ConfigSection
{
    private static readonly string[] NullScalars = ["", "~", "null", "Null", "NULL"];

    private readonly ConfigContext _context;
    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, Entry> _byKey = new(StringComparer.Ordinal);
    private readonly List<string> _known = [];
    private readonly HashSet<string> _knownSet = new(StringComparer.Ordinal);
    private readonly HashSet<string> _secretKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConfigSection> _sections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<ConfigSection>> _sectionLists = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    internal ConfigSection(YamlMappingNode node, string path, ConfigLocation location, ConfigContext context)
    {
        _context = context;
        Path = path;
        Location = location;
        foreach (var (keyNode, value) in node.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                throw new ConfigException(
                    context.At(keyNode.Start, path),
                    $"a key must be a plain name, not {Describe(keyNode)}",
                    "write keys as plain words followed by ':'");
            }

            // YamlDotNet's node model does not implement merge keys: `<<` would arrive as an ordinary key.
            if (key == "<<" && keyNode is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain })
            {
                throw new ConfigException(
                    context.At(keyNode.Start, Join(path, key)),
                    "YAML merge keys ('<<: *anchor') are not supported",
                    "write the keys out, or reuse a whole mapping with an alias (`b: *a`)");
            }

            var entry = new Entry(key, keyNode, value);
            _entries.Add(entry);
            _byKey[key] = entry;
        }

        Keys = _entries.Select(e => e.Key).ToList();
    }

    /// <summary>The dotted key path of this mapping, e.g. <c>syncs.users_to_segment.source</c>; "" for the file's top level.</summary>
    public string Path { get; }

    /// <summary>Where the mapping is: the line of its key (line 1 for the top level).</summary>
    public ConfigLocation Location { get; }

    /// <summary>The keys in file order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>
    /// The top-level mapping of a YAML text, for reading a fragment on its own (tests, tools).
    /// An empty text gives an empty section.
    /// </summary>
    public static ConfigSection Parse(string yaml, string fileName = "sluice.yaml", IReadOnlyDictionary<string, string>? environment = null)
    {
        var context = ConfigContext.For(fileName, environment);
        var root = YamlDocumentReader.Read(yaml, context) ?? new YamlMappingNode();
        return new ConfigSection(root, "", new ConfigLocation(fileName, 1, 1, ""), context);
    }

    /// <summary>Whether the key is present with a value (<c>key:</c>, <c>key: ~</c> and <c>key: null</c> count as absent).</summary>
    public bool Has(string key)
    {
        MarkKnown(key);
        return _byKey.TryGetValue(key, out var entry) && !IsNull(entry.Value);
    }

    /// <summary>A mapping value as a section; null when absent or empty; an error when it is a single value or a list.</summary>
    public ConfigSection? GetSection(string key) => ReadSection(key, fix: null, required: false);

    /// <summary>Like <see cref="GetSection"/>, but a missing mapping is an error with <paramref name="fix"/>.</summary>
    public ConfigSection RequireSection(string key, string fix) => ReadSection(key, fix, required: true)!;

    /// <summary>A list of mappings (<c>- {column: a}</c> items) as sections; null when absent.</summary>
    public IReadOnlyList<ConfigSection>? GetSectionList(string key)
    {
        MarkKnown(key);
        if (!_byKey.TryGetValue(key, out var entry) || IsNull(entry.Value))
        {
            return null;
        }

        if (entry.Value is not YamlSequenceNode sequence)
        {
            throw WrongShape(entry, "a list of mappings ('- key: value' items)");
        }

        lock (_gate)
        {
            if (_sectionLists.TryGetValue(key, out var cached))
            {
                return cached;
            }

            var sections = new List<ConfigSection>();
            var keyPath = Join(Path, key);
            foreach (var (item, index) in sequence.Children.Select((item, index) => (item, index)))
            {
                var itemPath = $"{keyPath}[{index}]";
                if (item is not YamlMappingNode mapping)
                {
                    throw new ConfigException(
                        _context.At(item.Start, itemPath),
                        $"item {index + 1} of '{key}' must be a mapping, not {Describe(item)}",
                        "write each item as '- key: value'");
                }

                sections.Add(new ConfigSection(mapping, itemPath, _context.At(item.Start, itemPath), _context));
            }

            _sectionLists[key] = sections;
            return sections;
        }
    }

    /// <summary>Where the key's value is (for a mapping or list: the key's line); the section's location when the key is absent.</summary>
    public ConfigLocation LocationOf(string key)
    {
        MarkKnown(key);
        return _byKey.TryGetValue(key, out var entry) ? ValueLocation(entry) : Location;
    }

    /// <summary>Rejects the first key in file order that was never asked about through this section.</summary>
    public void RejectUnknownKeys() => RejectUnknownKeys([]);

    /// <summary>Rejects the first key that was neither asked about nor listed in <paramref name="alsoAllowed"/>.</summary>
    public void RejectUnknownKeys(IEnumerable<string> alsoAllowed)
    {
        List<string> known;
        lock (_gate)
        {
            known = _known.Union(alsoAllowed, StringComparer.Ordinal).ToList();
        }

        foreach (var entry in _entries)
        {
            if (known.Contains(entry.Key, StringComparer.Ordinal))
            {
                continue;
            }

            var suggestion = NameSuggestions.Closest(entry.Key, known);
            var fix = suggestion switch
            {
                null when known.Count == 0 => "remove it",
                null => $"remove it; valid keys here: {string.Join(", ", known)}",
                _ when _byKey.TryGetValue(suggestion, out var other) =>
                    $"'{suggestion}' is already set at line {other.KeyNode.Start.Line}; remove '{entry.Key}'",
                _ => $"did you mean '{suggestion}'?",
            };
            throw new ConfigException(KeyLocation(entry.Key), $"unknown key '{entry.Key}'", fix);
        }
    }

    public override string ToString() => Path.Length == 0 ? Location.File : $"{Location.File}:{Location.Line} {Path}";

    /// <summary>Where the key itself is written (for errors about the key's name); the section's when absent.</summary>
    internal ConfigLocation KeyLocation(string key) =>
        _byKey.TryGetValue(key, out var entry) ? _context.At(entry.KeyNode.Start, Join(Path, key)) : Location;

    /// <summary>What kind of value the key holds, without reading it.</summary>
    internal ValueKind KindOf(string key) =>
        !_byKey.TryGetValue(key, out var entry) ? ValueKind.Absent
        : entry.Value switch
        {
            YamlMappingNode => ValueKind.Mapping,
            YamlSequenceNode => ValueKind.List,
            var scalar when IsNull(scalar) => ValueKind.Null,
            _ => ValueKind.Scalar,
        };

    internal static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    internal static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar && NullScalars.Contains(scalar.Value ?? "");

    internal static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ when IsNull(node) => "empty",
        _ => "a single value",
    };

    /// <summary>A mapping value; <paramref name="fix"/> is given when it is missing (if required) or not a mapping.</summary>
    internal ConfigSection? ReadSection(string key, string? fix, bool required)
    {
        MarkKnown(key);
        if (!_byKey.TryGetValue(key, out var entry) || IsNull(entry.Value))
        {
            return required ? throw Missing(key, fix!) : null;
        }

        if (entry.Value is not YamlMappingNode mapping)
        {
            throw WrongShape(entry, "a mapping (keys indented below it)", fix);
        }

        lock (_gate)
        {
            if (!_sections.TryGetValue(key, out var section))
            {
                var keyPath = Join(Path, key);
                section = new ConfigSection(mapping, keyPath, _context.At(entry.KeyNode.Start, keyPath), _context);
                _sections[key] = section;
            }

            return section;
        }
    }

    private void MarkKnown(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (_knownSet.Add(key))
            {
                _known.Add(key);
            }
        }
    }

    private ConfigLocation ValueLocation(Entry entry) =>
        entry.Value is YamlScalarNode && !IsNull(entry.Value)
            ? _context.At(entry.Value.Start, Join(Path, entry.Key))
            : _context.At(entry.KeyNode.Start, Join(Path, entry.Key));

    /// <summary>A required key is missing; when an unread key looks like a misspelling of it, point there instead.</summary>
    private ConfigException Missing(string key, string fix)
    {
        if (_byKey.ContainsKey(key))
        {
            return new ConfigException(KeyLocation(key), $"missing required key '{key}' (it has no value)", fix);
        }

        string[] unread;
        lock (_gate)
        {
            unread = _entries.Select(e => e.Key).Where(k => !_knownSet.Contains(k)).ToArray();
        }

        var typo = NameSuggestions.Closest(key, unread);
        return typo is null
            ? new ConfigException(Location, $"missing required key '{key}'", fix)
            : new ConfigException(KeyLocation(typo), $"missing required key '{key}'", $"'{typo}' looks like a misspelling: rename it to '{key}'");
    }

    private ConfigException WrongShape(Entry entry, string expected, string? fix = null) =>
        new(ValueLocation(entry), $"'{entry.Key}' must be {expected}, not {Describe(entry.Value)}", fix);

    private sealed record Entry(string Key, YamlNode KeyNode, YamlNode Value);
}
