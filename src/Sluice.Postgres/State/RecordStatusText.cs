using Sluice.Core.State;

namespace Sluice.Postgres.State;

/// <summary>
/// The <c>record_state.status</c> column: a <see cref="RecordStatus"/> as stored. A stored format: values are only
/// added, and a reader takes one it does not know (written by a newer Sluice) as <see cref="RecordStatus.Unspecified"/>.
/// </summary>
internal static class RecordStatusText
{
    public static string? Write(RecordStatus status) => status switch
    {
        RecordStatus.Sent => "sent",
        RecordStatus.DeadLettered => "dead_lettered",
        RecordStatus.LeftOut => "left_out",
        RecordStatus.Quarantined => "quarantined",
        RecordStatus.Waiting => "waiting",
        _ => null,
    };

    public static RecordStatus Read(string? text) => text switch
    {
        "sent" => RecordStatus.Sent,
        "dead_lettered" => RecordStatus.DeadLettered,
        "left_out" => RecordStatus.LeftOut,
        "quarantined" => RecordStatus.Quarantined,
        "waiting" => RecordStatus.Waiting,
        _ => RecordStatus.Unspecified,
    };
}
