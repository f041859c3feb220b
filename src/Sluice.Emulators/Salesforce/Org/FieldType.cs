namespace Sluice.Emulators.Salesforce.Org;

/// <summary>The describe <c>type</c> of a field (Schema.DisplayType), the subset the emulator stores.</summary>
public enum FieldType
{
    /// <summary><c>id</c>: the record's own 18-character id.</summary>
    Id,

    /// <summary><c>reference</c>: a lookup to another record's id.</summary>
    Reference,

    /// <summary><c>string</c>.</summary>
    String,

    /// <summary><c>textarea</c>.</summary>
    Textarea,

    /// <summary><c>email</c>: text checked for an address shape.</summary>
    Email,

    /// <summary><c>phone</c>.</summary>
    Phone,

    /// <summary><c>url</c>.</summary>
    Url,

    /// <summary><c>picklist</c>.</summary>
    Picklist,

    /// <summary><c>multipicklist</c>: values joined by <c>;</c>.</summary>
    Multipicklist,

    /// <summary><c>combobox</c>: a picklist that also takes free text.</summary>
    Combobox,

    /// <summary><c>boolean</c>: never null.</summary>
    Boolean,

    /// <summary><c>int</c>.</summary>
    Int,

    /// <summary><c>double</c>.</summary>
    Double,

    /// <summary><c>currency</c>.</summary>
    Currency,

    /// <summary><c>percent</c>: 0–100.</summary>
    Percent,

    /// <summary><c>date</c>.</summary>
    Date,

    /// <summary><c>datetime</c> (UTC).</summary>
    DateTime,

    /// <summary><c>time</c>.</summary>
    Time,
}
