using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;

namespace Sluice.Server.Dashboard.Internal;

/// <summary>
/// The dashboard's layout and the small helpers every page writes with: escaping, numbers, ages, and forms that carry
/// the antiforgery token. Pages are strings built on the server: no script, no build step, nothing fetched.
/// </summary>
internal static class Html
{
    /// <summary>
    /// One stylesheet for every page. Colours are GitHub's light palette (each text colour at least 4.5:1 on its
    /// background, WCAG AA); tables scroll sideways on a phone instead of squeezing (in a positioned box, so that the
    /// screen-reader-only labels inside them, absolutely placed, scroll with them and widen nothing); focus is always visible.
    /// </summary>
    private const string Style = """
        :root{color-scheme:light}*{box-sizing:border-box}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
        header{background:#24292f;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
        header a{color:#fff;text-decoration:none;padding:.2rem .1rem}header a[aria-current=page]{border-bottom:2px solid #fff}
        header strong{font-size:17px;margin-right:.6rem}
        main{padding:1rem;max-width:1400px}h1{font-size:21px;margin:.2rem 0 1rem}h2{font-size:17px;margin:1.8rem 0 .6rem}
        a{color:#0969da}.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;color:#0969da;padding:.4rem;z-index:9}
        a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid #0969da;outline-offset:2px}
        .scroll{overflow-x:auto;position:relative}
        table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:.4rem .55rem;border-bottom:1px solid #d0d7de;vertical-align:top}
        th{background:#f6f8fa;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        .succeeded,.sent,.ok{color:#1a7f37}.failed,.critical,.dead-lettered,.err{color:#cf222e}.running,.warning,.waiting,.quarantined{color:#9a6700}
        .err{font-size:13px}.lines,pre,code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
        pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-word;margin:.3rem 0;max-height:24rem}
        .muted{color:#57606a}.notice{border:1px solid #d0d7de;border-left:4px solid #0969da;padding:.6rem .8rem;margin:0 0 1rem;background:#f6f8fa}
        .notice.bad{border-left-color:#cf222e}
        form.inline{display:inline-flex;flex-wrap:wrap;gap:.3rem;align-items:center;margin:.15rem 0}
        button{font:inherit;font-size:14px;padding:.3rem .75rem;border:1px solid #8c959f;border-radius:6px;background:#f6f8fa;color:#1f2328;cursor:pointer;min-height:2rem}
        button.primary{background:#1f883d;border-color:#1a7f37;color:#fff}button.danger{color:#a40e26;border-color:#cf222e}
        input[type=text],input[type=search],select{font:inherit;font-size:14px;padding:.3rem .5rem;border:1px solid #8c959f;border-radius:6px;min-height:2rem;max-width:100%}
        label{font-weight:600;margin-right:.3rem}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
        main p,main h1,main h2,main h3{overflow-wrap:anywhere}svg.chart{display:block}.bar{fill:#54aeff}.bar.failed{fill:#cf222e}
        @media (max-width:640px){main{padding:.6rem}body{font-size:14px}th,td{padding:.35rem .4rem}}
        """;

    /// <summary>The pages of the top navigation, by the path they live at.</summary>
    private static readonly (string Path, string Name)[] Navigation =
        [("/", "Syncs"), ("/events", "Live events"), ("/records", "Explain a record"), ("/plan", "Plan")];

    /// <summary>A whole page. <paramref name="refreshSeconds"/> reloads it (a status view), unless the reader paused it.</summary>
    public static string Layout(string title, string path, string body, int? refreshSeconds = null)
    {
        var html = new StringBuilder(body.Length + 4_096);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
        if (refreshSeconds is { } seconds)
        {
            html.Append("<meta http-equiv=\"refresh\" content=\"").Append(seconds.ToString(CultureInfo.InvariantCulture)).Append("\">");
        }

        html.Append("<title>").Append(E(title)).Append(" · Sluice</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<a class=\"skip\" href=\"#main\">Skip to content</a><header><strong>Sluice</strong><nav aria-label=\"Dashboard\">");
        foreach (var (href, name) in Navigation)
        {
            html.Append("<a href=\"").Append(href).Append('"').Append(href == path ? " aria-current=\"page\"" : "").Append('>').Append(E(name)).Append("</a> ");
        }

        html.Append("</nav></header><main id=\"main\">").Append(body).Append("</main></body></html>");
        return html.ToString();
    }

    /// <summary>A form that POSTs to <paramref name="action"/> with the antiforgery token (a cross-site POST lacks it and is refused).</summary>
    public static void Form(StringBuilder html, AntiforgeryTokenSet tokens, string action, string fields, string button, string buttonClass = "")
    {
        html.Append("<form class=\"inline\" method=\"post\" action=\"").Append(E(action)).Append("\">")
            .Append("<input type=\"hidden\" name=\"").Append(E(tokens.FormFieldName)).Append("\" value=\"").Append(E(tokens.RequestToken ?? "")).Append("\">")
            .Append(fields)
            .Append("<button type=\"submit\"").Append(buttonClass.Length > 0 ? $" class=\"{buttonClass}\"" : "").Append('>').Append(E(button)).Append("</button></form>");
    }

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A path segment or query value.</summary>
    public static string U(string text) => Uri.EscapeDataString(text);

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Ago(TimeSpan age) => age < TimeSpan.Zero ? "just now"
        : age.TotalSeconds < 60 ? $"{age.TotalSeconds:0} s ago"
        : age.TotalMinutes < 60 ? $"{age.TotalMinutes:0} min ago"
        : age.TotalHours < 48 ? $"{age.TotalHours:0.#} h ago"
        : $"{age.TotalDays:0.#} d ago";

    public static string In(TimeSpan wait) => wait <= TimeSpan.Zero ? "due now"
        : wait.TotalSeconds < 60 ? $"in {wait.TotalSeconds:0} s"
        : wait.TotalMinutes < 60 ? $"in {wait.TotalMinutes:0} min"
        : $"in {wait.TotalHours:0.#} h";

    public static string Duration(TimeSpan span) => span.TotalSeconds < 1 ? $"{span.TotalMilliseconds:0} ms"
        : span.TotalMinutes < 1 ? $"{span.TotalSeconds:0.0} s"
        : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min {span.Seconds} s"
        : $"{span.TotalHours:0.#} h";

    /// <summary>A UTC time as people read it in a table; the full instant in <c>datetime</c> for tools.</summary>
    public static string When(DateTimeOffset at) =>
        $"<time datetime=\"{at.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\">{at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</time>";

    /// <summary>A JSON payload indented for reading; as stored when it is not JSON.</summary>
    public static string PrettyJson(string payload)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(payload);
            return System.Text.Json.JsonSerializer.Serialize(document.RootElement, Indented.JsonElement);
        }
        catch (System.Text.Json.JsonException)
        {
            return payload;
        }
    }

    private static readonly PayloadJson Indented = new(new System.Text.Json.JsonSerializerOptions
    {
        WriteIndented = true,
        // Escaped again as HTML when written into the page: relaxed here so that a person reads the text as sent.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
