using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Core.Mapping;

namespace Sluice.State;

/// <summary>
/// The <c>audit_log.fields</c> column: <c>[{"target": "traits.email", "column": "email", "transform": "hash"}, …]</c>.
/// A stored format: keys are only ever added.
/// </summary>
internal static class AuditFieldsJson
{
    public static string Write(IReadOnlyList<SentField> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var field in fields)
            {
                writer.WriteStartObject();
                writer.WriteString("target"u8, field.Target);
                writer.WriteString("column"u8, field.Column);
                writer.WriteString("transform"u8, field.Transform);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
