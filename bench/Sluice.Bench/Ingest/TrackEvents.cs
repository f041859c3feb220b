using System.Buffers;
using System.Text.Json;

namespace Sluice.Bench.Ingest;

/// <summary>
/// Realistic Segment track calls, 0.6–0.9 KB each, the same for the same seed: an event name from a small set
/// (each with its own properties, as a real tracking plan has), a user id, a unique messageId, a timestamp and the
/// context analytics.js sends (library, ip, userAgent, locale, page).
/// </summary>
internal static class TrackEvents
{
    private static readonly string[] Names =
        ["Product Viewed", "Product Added", "Checkout Started", "Order Completed", "Signed In", "Products Searched"];

    private static readonly string[] Categories = ["shoes", "outerwear", "accessories", "bags", "knitwear", "denim"];

    private static readonly string[] Queries = ["running shoes", "rain jacket", "wool scarf", "leather bag", "slim jeans"];

    private static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
    ];

    private static readonly string[] Locales = ["en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "nl-NL"];

    /// <summary><paramref name="count"/> events in batches of <paramref name="batchSize"/>, timestamped just before <paramref name="now"/>.</summary>
    public static IReadOnlyList<TrackBatch> Generate(int count, int batchSize, int seed, DateTime now)
    {
        var random = new Random(seed);
        var batches = new List<TrackBatch>((count + batchSize - 1) / batchSize);
        var buffer = new ArrayBufferWriter<byte>(1 << 17);
        for (var first = 0; first < count; first += batchSize)
        {
            buffer.ResetWrittenCount();
            var events = new List<TrackEvent>(batchSize);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteStartArray("batch");
                for (var i = first; i < Math.Min(count, first + batchSize); i++)
                {
                    writer.Flush();
                    var offset = buffer.WrittenCount + (i == first ? 0 : 1); // past the comma the writer puts before the next item
                    var e = WriteEvent(writer, random, now.AddMilliseconds(-(count - i)));
                    writer.Flush();
                    events.Add(e with { Offset = offset, Length = buffer.WrittenCount - offset });
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            batches.Add(new TrackBatch(buffer.WrittenSpan.ToArray(), events));
        }

        return batches;
    }

    private static TrackEvent WriteEvent(Utf8JsonWriter w, Random random, DateTime timestamp)
    {
        var messageId = NextGuid(random);
        var name = Names[random.Next(Names.Length)];
        var userId = $"user_{random.Next(1, 250_000):D7}";
        var product = $"sku_{random.Next(10_000, 99_999)}";
        var path = name == "Products Searched" ? "/search" : $"/products/{product}";

        w.WriteStartObject();
        w.WriteString("type", "track");
        w.WriteString("event", name);
        w.WriteString("userId", userId);
        w.WriteString("anonymousId", NextGuid(random));
        w.WriteString("messageId", messageId);
        w.WriteString("timestamp", timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteStartObject("properties");
        WriteProperties(w, random, name, product);
        w.WriteEndObject();
        w.WriteStartObject("context");
        w.WriteStartObject("library");
        w.WriteString("name", "analytics.js");
        w.WriteString("version", "next-1.70.0");
        w.WriteEndObject();
        w.WriteString("ip", $"203.0.{random.Next(0, 256)}.{random.Next(1, 255)}");
        w.WriteString("userAgent", UserAgents[random.Next(UserAgents.Length)]);
        w.WriteString("locale", Locales[random.Next(Locales.Length)]);
        w.WriteStartObject("page");
        w.WriteString("path", path);
        w.WriteString("url", $"https://shop.example.com{path}");
        w.WriteString("referrer", random.Next(3) == 0 ? "https://www.google.com/" : "https://shop.example.com/");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        return new TrackEvent(messageId, name, userId, timestamp, 0, 0);
    }

    private static void WriteProperties(Utf8JsonWriter w, Random random, string name, string product)
    {
        var price = Math.Round(5 + random.NextDouble() * 295, 2);
        switch (name)
        {
            case "Product Viewed":
            case "Product Added":
                w.WriteString("product_id", product);
                w.WriteString("category", Categories[random.Next(Categories.Length)]);
                w.WriteNumber("price", price);
                w.WriteNumber("quantity", random.Next(1, 4));
                w.WriteString("currency", "USD");
                break;
            case "Checkout Started":
            case "Order Completed":
                w.WriteString("order_id", $"ord_{random.Next(1_000_000, 9_999_999)}");
                w.WriteNumber("revenue", price);
                w.WriteNumber("tax", Math.Round(price * 0.08, 2));
                w.WriteNumber("shipping", random.Next(0, 3) * 4.99);
                w.WriteNumber("products", random.Next(1, 6));
                w.WriteString("currency", "USD");
                break;
            case "Signed In":
                w.WriteString("method", random.Next(2) == 0 ? "password" : "google");
                w.WriteBoolean("remember_me", random.Next(2) == 0);
                break;
            default:
                w.WriteString("query", Queries[random.Next(Queries.Length)]);
                w.WriteNumber("results", random.Next(0, 120));
                break;
        }
    }

    private static Guid NextGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4, so the messageId reads as an ordinary client uuid
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }
}
