using Sluice.Core.Connectors;

namespace Sluice.Postgres.Sources;

/// <summary>
/// The two ways a <see cref="QuerySourceSignalRead"/> can declare its key cursor (<c>sluice_keys</c>), of which a read
/// uses one: sorted by key text, or, when <paramref name="NativeKeys"/> says the keys are integers or uuids, in the
/// table's own order as values.
/// </summary>
/// <param name="Sorted">The DECLARE of the cursor over key text, <c>xmin</c> and <c>ctid</c>, sorted by key text.</param>
/// <param name="NativeKeys">What the keys are, or <see cref="NativeKeyType.None"/>.</param>
/// <param name="Native">The DECLARE of the unsorted cursor over the key's value, <c>xmin</c> and <c>ctid</c>; <c>null</c> with no native keys.</param>
internal sealed record QuerySourceKeyScans(string Sorted, NativeKeyType NativeKeys, string? Native);
