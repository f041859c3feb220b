using NpgsqlTypes;
using Sluice.Postgres.Cdc;

namespace Sluice.Postgres.Tests.Cdc;

/// <summary>How far the slot may be confirmed: never past a change the engine has not committed.</summary>
public sealed class CdcConfirmationsTests
{
    private static readonly NpgsqlLogSequenceNumber Start = new(100);

    [Fact]
    public void A_transaction_is_confirmed_at_its_end_once_its_last_change_is_committed()
    {
        var confirmations = new CdcConfirmations(Start, committed: null);
        confirmations.Begin();
        confirmations.Handing(At(200, 1));
        confirmations.Handing(At(200, 2));
        confirmations.End(At(200, 2), new NpgsqlLogSequenceNumber(210));

        Assert.Null(confirmations.Committed(At(200, 1)));
        Assert.Equal(new NpgsqlLogSequenceNumber(210), confirmations.Committed(At(200, 2)));
        Assert.Equal(new NpgsqlLogSequenceNumber(210), confirmations.Confirmed);
    }

    [Fact]
    public void A_commit_that_arrives_before_its_transaction_ends_is_confirmed_when_it_ends()
    {
        var confirmations = new CdcConfirmations(Start, committed: null);
        confirmations.Begin();
        confirmations.Handing(At(200, 1));
        Assert.Null(confirmations.Committed(At(200, 1)));

        confirmations.End(At(200, 1), new NpgsqlLogSequenceNumber(210));

        // The transaction's end is confirmed, and since nothing else waits, what the server streamed after it.
        Assert.Equal(new NpgsqlLogSequenceNumber(500), confirmations.Idle(() => new NpgsqlLogSequenceNumber(500)));
    }

    [Fact]
    public void Nothing_is_confirmed_past_what_the_server_streamed_while_a_change_waits_for_its_commit()
    {
        var confirmations = new CdcConfirmations(Start, committed: null);
        confirmations.Begin();
        confirmations.Handing(At(200, 1));
        confirmations.End(At(200, 1), new NpgsqlLogSequenceNumber(210));

        Assert.Null(confirmations.Idle(() => new NpgsqlLogSequenceNumber(900)));
        Assert.Null(confirmations.Idle(() => throw new InvalidOperationException("not asked while a change waits")));
        Assert.Equal(Start, confirmations.Confirmed);
    }

    [Fact]
    public void An_idle_sync_confirms_what_the_server_streamed_but_never_moves_back()
    {
        var confirmations = new CdcConfirmations(Start, committed: null);

        Assert.Equal(new NpgsqlLogSequenceNumber(300), confirmations.Idle(() => new NpgsqlLogSequenceNumber(300)));
        Assert.Null(confirmations.Idle(() => new NpgsqlLogSequenceNumber(250)));
        Assert.Equal(new NpgsqlLogSequenceNumber(300), confirmations.Confirmed);
    }

    [Fact]
    public void An_open_transaction_blocks_idle_advances()
    {
        var confirmations = new CdcConfirmations(Start, committed: null);
        confirmations.Begin();

        Assert.Null(confirmations.Idle(() => new NpgsqlLogSequenceNumber(300)));

        confirmations.End(null, new NpgsqlLogSequenceNumber(310));
        Assert.Equal(new NpgsqlLogSequenceNumber(310), confirmations.Idle(() => new NpgsqlLogSequenceNumber(310)));
    }

    [Fact]
    public void The_end_of_a_copy_waits_for_its_commit_before_idle_advances()
    {
        var copied = CdcPosition.Streamed(Start, 0);
        var confirmations = new CdcConfirmations(Start, committed: null, handed: copied);

        Assert.Null(confirmations.Idle(() => new NpgsqlLogSequenceNumber(300)));
        Assert.Null(confirmations.Committed(copied));
        Assert.Equal(new NpgsqlLogSequenceNumber(300), confirmations.Idle(() => new NpgsqlLogSequenceNumber(300)));
    }

    private static CdcPosition At(ulong commit, int index) => CdcPosition.Streamed(new NpgsqlLogSequenceNumber(commit), index);
}
