namespace Sluice.Emulators.Salesforce.Org;

/// <summary>Salesforce error codes the emulator answers with (reference §4.3).</summary>
public static class StatusCodes
{
#pragma warning disable CS1591 // The names are Salesforce's own codes.
    public const string RequiredFieldMissing = "REQUIRED_FIELD_MISSING";
    public const string StringTooLong = "STRING_TOO_LONG";
    public const string RestrictedPicklist = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST";
    public const string NumberOutsideValidRange = "NUMBER_OUTSIDE_VALID_RANGE";
    public const string DuplicateValue = "DUPLICATE_VALUE";
    public const string DuplicateExternalId = "DUPLICATE_EXTERNAL_ID";
    public const string InvalidCrossReferenceKey = "INVALID_CROSS_REFERENCE_KEY";
    public const string EntityIsDeleted = "ENTITY_IS_DELETED";
    public const string InvalidField = "INVALID_FIELD";
    public const string InvalidFieldForInsertUpdate = "INVALID_FIELD_FOR_INSERT_UPDATE";
    public const string InvalidTypeOnFieldInRecord = "INVALID_TYPE_ON_FIELD_IN_RECORD";
    public const string InvalidEmailAddress = "INVALID_EMAIL_ADDRESS";
    public const string MalformedId = "MALFORMED_ID";
    public const string FieldIntegrityException = "FIELD_INTEGRITY_EXCEPTION";
    public const string MissingArgument = "MISSING_ARGUMENT";
    public const string InvalidType = "INVALID_TYPE";
    public const string NotFound = "NOT_FOUND";
    public const string UnableToLockRow = "UNABLE_TO_LOCK_ROW";
    public const string AllOrNoneRolledBack = "ALL_OR_NONE_OPERATION_ROLLED_BACK";
    public const string InvalidSessionId = "INVALID_SESSION_ID";
    public const string RequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED";
    public const string ServerUnavailable = "SERVER_UNAVAILABLE";
    public const string JsonParserError = "JSON_PARSER_ERROR";
    public const string MalformedQuery = "MALFORMED_QUERY";
#pragma warning restore CS1591
}
