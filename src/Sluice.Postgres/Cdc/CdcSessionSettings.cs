namespace Sluice.Postgres.Cdc;

/// <summary>
/// The session settings a value's text depends on, the same for the stream (the walsender's output functions) and for
/// the copy and re-reads (<c>::text</c>), so that a key or a watched value reads the same through either.
/// </summary>
internal static class CdcSessionSettings
{
    public const string StartupOptions = "-c DateStyle=ISO,MDY -c TimeZone=UTC -c IntervalStyle=postgres -c bytea_output=hex";

    public const string SetLocal = "SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL TimeZone = 'UTC'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL bytea_output = 'hex'";
}
