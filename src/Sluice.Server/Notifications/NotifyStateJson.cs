using System.Text.Json.Serialization;

namespace Sluice.Server.Notifications;

/// <summary>
/// <c>notify_state.reasons</c>, a JSON array of reason kinds, through generated code rather than reflection (no
/// run-time metadata; Native AOT needs it).
/// </summary>
[JsonSerializable(typeof(List<string>), TypeInfoPropertyName = "StringList")]
internal sealed partial class NotifyStateJson : JsonSerializerContext;
