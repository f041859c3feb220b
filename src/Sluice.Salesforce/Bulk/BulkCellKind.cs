namespace Sluice.Salesforce.Bulk;

/// <summary>What a Bulk CSV cell is in the record's JSON payload, so that the payload can be written from the cells alone.</summary>
internal enum BulkCellKind : byte
{
    /// <summary>A JSON string: <c>"Name":"Acme"</c>.</summary>
    Text,

    /// <summary>A JSON null (the cell is <c>#N/A</c>): <c>"Tier__c":null</c>, or a parent's reference field, <c>"AccountId":null</c>.</summary>
    Null,

    /// <summary>A JSON number or boolean written as the cell's text: <c>"NumberOfEmployees":12</c>.</summary>
    Raw,

    /// <summary>A parent by its external id, the column <c>Account.External_Id__c</c>: <c>"Account":{"External_Id__c":"a-1"}</c>.</summary>
    Parent,
}
