using System.Text.Json;

namespace Sluice.Core.Engine.Processing.Validation;

/// <summary>
/// <c>validate:</c>: quarantines each event whose field values do not exist in their reference columns, with every
/// rule it fails as the reason, while the rest of the batch flows on. Each rule looks up the batch's distinct values
/// it does not remember in one query (<see cref="IRecordLookup"/>), never one per event.
/// </summary>
public sealed class ValidationProcessor : IRecordProcessor
{
    private readonly IReadOnlyList<(ValidationRule Rule, IRecordLookup Lookup, FoundValuesCache Cache)> _rules;

    /// <param name="options">The rules and the cache's bounds.</param>
    /// <param name="lookups">One lookup per rule, in the rules' order.</param>
    /// <param name="time">The cache's clock.</param>
    public ValidationProcessor(ValidationOptions options, IReadOnlyList<IRecordLookup> lookups, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(lookups);
        if (lookups.Count != options.Rules.Count)
        {
            throw new ArgumentException("one lookup per rule", nameof(lookups));
        }

        _rules = options.Rules.Select((rule, i) => (rule, lookups[i], new FoundValuesCache(options.CacheSize, options.CacheTtl, time))).ToList();
    }

    public string Name => "validate";

    /// <summary>Every rule's reference table and column exist (<c>sluice check</c>): a lookup of nothing resolves them.</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        foreach (var (_, lookup, _) in _rules)
        {
            await lookup.FindAsync([], ct);
        }
    }

    public async ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var records = batch.Records;
        // values[rule][record]: the value to look up, or null when the rule does not apply or already failed it.
        var values = new string?[_rules.Count][];
        var reasons = new List<string>?[records.Count];
        for (var r = 0; r < _rules.Count; r++)
        {
            values[r] = new string?[records.Count];
        }

        for (var i = 0; i < records.Count; i++)
        {
            using var json = Parse(records[i].Payload);
            if (json is null)
            {
                (reasons[i] ??= []).Add("the event is not a JSON object, so no rule can read it");
                continue;
            }

            var root = json.RootElement;
            var name = EventName(root);
            for (var r = 0; r < _rules.Count; r++)
            {
                var rule = _rules[r].Rule;
                if (rule.When.Count > 0 && (name is null || !rule.When.Contains(name, StringComparer.Ordinal)))
                {
                    continue;
                }

                switch (Read(root, rule.Path, out var value))
                {
                    case FieldState.Value:
                        values[r][i] = value;
                        break;
                    case FieldState.Missing when !rule.AllowMissing:
                        (reasons[i] ??= []).Add($"{rule.Name}: {rule.Field} is missing");
                        break;
                    case FieldState.NotScalar:
                        (reasons[i] ??= []).Add($"{rule.Name}: {rule.Field} is {value}, not a single value");
                        break;
                }
            }
        }

        for (var r = 0; r < _rules.Count; r++)
        {
            var (rule, lookup, cache) = _rules[r];
            // What exists is decided once per value: remembered now, or found by this batch's query. The cache may be
            // emptied meanwhile (it is full, or another batch fills it), so it is not asked again.
            var exists = new HashSet<string>(StringComparer.Ordinal);
            var wanted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var value in values[r])
            {
                if (value is not null && !exists.Contains(value) && !wanted.Contains(value))
                {
                    _ = cache.Contains(value) ? exists.Add(value) : wanted.Add(value);
                }
            }

            if (wanted.Count > 0)
            {
                var found = await lookup.FindAsync(wanted, ct);
                exists.UnionWith(found.Keys);
                cache.AddRange(found.Keys);
            }

            for (var i = 0; i < records.Count; i++)
            {
                if (values[r][i] is { } value && !exists.Contains(value))
                {
                    (reasons[i] ??= []).Add($"{rule.Name}: {rule.Field} '{value}' is not in {rule.ExistsIn}");
                }
            }
        }

        var decisions = new ProcessorDecision[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            decisions[i] = reasons[i] is { } failed ? ProcessorDecision.Quarantine(string.Join("; ", failed)) : ProcessorDecision.Pass;
        }

        return decisions;
    }

    private static JsonDocument? Parse(ReadOnlyMemory<byte> payload)
    {
        try
        {
            var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>What <c>when:</c> matches: a track's <c>event</c>, else a page's or screen's <c>name</c>.</summary>
    private static string? EventName(JsonElement root) =>
        root.TryGetProperty("event", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString()
        : root.TryGetProperty("name", out name) && name.ValueKind == JsonValueKind.String ? name.GetString()
        : null;

    private enum FieldState
    {
        Value,
        Missing,
        NotScalar,
    }

    /// <summary>The value at <paramref name="path"/> as text: a string as is, a number as written, a boolean as true/false.</summary>
    private static FieldState Read(JsonElement root, string[] path, out string? value)
    {
        value = null;
        var at = root;
        foreach (var step in path)
        {
            if (at.ValueKind != JsonValueKind.Object || !at.TryGetProperty(step, out at))
            {
                return FieldState.Missing;
            }
        }

        switch (at.ValueKind)
        {
            case JsonValueKind.String:
                value = at.GetString();
                return string.IsNullOrEmpty(value) ? FieldState.Missing : FieldState.Value;
            case JsonValueKind.Number:
                value = at.GetRawText();
                return FieldState.Value;
            case JsonValueKind.True or JsonValueKind.False:
                value = at.GetBoolean() ? "true" : "false";
                return FieldState.Value;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return FieldState.Missing;
            default:
                value = at.ValueKind == JsonValueKind.Array ? "a list" : "an object";
                return FieldState.NotScalar;
        }
    }
}
