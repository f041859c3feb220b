using Sluice.Core.Connectors;

namespace Sluice.Postgres.Sources;

/// <summary>
/// The two ways a <see cref="QuerySourceSignalRead"/> can read its keys: a cursor (<c>sluice_keys</c>) sorted by key text,
/// or, when <paramref name="NativeKeys"/> says the keys are integers or uuids, a COPY in the table's own order, as values.
/// </summary>
/// <param name="Sorted">The DECLARE of the cursor over key text, <c>xmin</c> and <c>ctid</c>, sorted by key text.</param>
/// <param name="NativeKeys">What the keys are, or <see cref="NativeKeyType.None"/>.</param>
/// <param name="Native">
/// The binary COPY of the key's value (<c>int8</c> or <c>uuid</c>), <c>xmin</c> and <c>ctid</c> in the table's order, run
/// on a connection of its own in the read's snapshot; <c>null</c> with no native keys.
/// </param>
internal sealed record QuerySourceKeyScans(string Sorted, NativeKeyType NativeKeys, string? Native);
