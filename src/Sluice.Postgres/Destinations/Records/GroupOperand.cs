namespace Sluice.Postgres.Destinations.Records;

/// <summary>A property of the record, or a literal.</summary>
internal sealed class GroupOperand
{
    private readonly string? _property;
    private readonly object? _literal;

    private GroupOperand(string? property, object? literal)
    {
        _property = property;
        _literal = literal;
    }

    public static GroupOperand Property(string name) => new(name, null);

    public static GroupOperand Literal(object? value) => new(null, value);

    public object? Value(Func<string, object?> property) => _property is null ? _literal : property(_property);
}
