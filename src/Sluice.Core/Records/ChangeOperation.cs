namespace Sluice.Core.Records;

public enum ChangeOperation
{
    Upsert,
    Delete,
}
