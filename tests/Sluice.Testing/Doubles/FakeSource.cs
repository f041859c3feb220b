using System.Runtime.CompilerServices;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Testing.Doubles;

/// <summary>
/// A table <c>public.users(id, email, name)</c> held in memory. Change <c>i</c> has key <c>"i"</c> and
/// position <c>i</c>; a read from a checkpoint yields the changes after it.
/// </summary>
public sealed class FakeSource(int count) : ISource
{
    public static readonly SourceSchema Schema = new(
        "public.users",
        [
            new SourceColumn("id", "bigint", ColumnType.Integer, IsNullable: false),
            new SourceColumn("email", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("name", "text", ColumnType.Text, IsNullable: true),
        ],
        ["id"]);

    private readonly List<ReadRequest> _requests = [];

    public string Description => "fake table public.users";

    public string? Notice { get; init; }

    /// <summary>When set, reading the change at this offset fails as a lost database connection would.</summary>
    public int? FailAt { get; init; }

    /// <summary>When set, reading the change at this offset throws "boom", as a bug in the source would.</summary>
    public int? CrashAt { get; init; }

    /// <summary>When set, the read waits for <see cref="Resume"/> before the change at this offset (a source waiting for its next page).</summary>
    public int? HoldAt { get; init; }

    /// <summary>Completed to let a read held at <see cref="HoldAt"/> go on.</summary>
    public TaskCompletionSource Resume { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<ReadRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public Task<SourceSchema> DiscoverAsync(CancellationToken ct) => Task.FromResult(Schema);

    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) =>
        Task.FromResult<long?>(count - FirstOffset(request));

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        lock (_requests)
        {
            _requests.Add(request);
        }

        for (var i = FirstOffset(request); i < count; i++)
        {
            ct.ThrowIfCancellationRequested();
            if (i == FailAt)
            {
                throw SluiceException.Transient($"{Description}: the connection was lost");
            }

            if (i == CrashAt)
            {
                throw new InvalidOperationException("boom");
            }

            if (i == HoldAt)
            {
                await Resume.Task.WaitAsync(ct);
            }

            // Values follow request.Columns, as a real source's do.
            var values = request.Columns.Select(column => column switch
            {
                "id" => (object?)(long)i,
                "email" => $"user{i}@example.com",
                "name" => $"User {i}",
                _ => throw new InvalidOperationException($"no column '{column}'"),
            }).ToArray();
            yield return new Change(i.ToString(System.Globalization.CultureInfo.InvariantCulture), ChangeOperation.Upsert, values, new TestPosition(i));
        }

        await Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static int FirstOffset(ReadRequest request) => request.From is { } from ? TestPosition.OffsetOf(from) + 1 : 0;
}
