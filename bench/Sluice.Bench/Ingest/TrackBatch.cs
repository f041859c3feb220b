namespace Sluice.Bench.Ingest;

/// <summary>One <c>POST /v1/batch</c> request: its body (<c>{"batch":[…]}</c>) and the events in it.</summary>
internal sealed record TrackBatch(byte[] Body, IReadOnlyList<TrackEvent> Events)
{
    public string PayloadOf(TrackEvent e) => System.Text.Encoding.UTF8.GetString(Body, e.Offset, e.Length);
}
