using System.Globalization;
using System.Text;
using Sluice.State;

namespace Sluice.Server.Dashboard.Internal;

/// <summary>
/// Records read per run over a sync's last runs, as a small inline SVG bar chart (oldest left; a failed run's bar is
/// red). Its text alternative lists the numbers, so a screen reader gets what the eye gets.
/// </summary>
internal static class RunChart
{
    private const int Height = 28;
    private const int BarWidth = 5;
    private const int Gap = 1;

    public static string Render(IReadOnlyList<StoredRun>? latestFirst)
    {
        if (latestFirst is null || latestFirst.Count == 0)
        {
            return "<span class=\"muted\">no runs</span>";
        }

        var runs = latestFirst.Reverse().ToList();
        var max = Math.Max(1, runs.Max(r => r.Read));
        var width = runs.Count * (BarWidth + Gap);
        var label = $"records read per run, last {runs.Count} runs, oldest first: {string.Join(", ", runs.Select(r => r.Read.ToString(CultureInfo.InvariantCulture) + (r.Status == "failed" ? " (failed)" : "")))}";
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" role=\"img\" aria-label=\"{Html.E(label)}\" width=\"{width}\" height=\"{Height}\" viewBox=\"0 0 {width} {Height}\"><title>{Html.E(label)}</title>");
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            // A run that read nothing still gets a sliver: it ran.
            var height = Math.Max(1, (int)Math.Round((double)run.Read / max * (Height - 1)));
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar{(run.Status == "failed" ? " failed" : "")}\" x=\"{i * (BarWidth + Gap)}\" y=\"{Height - height}\" width=\"{BarWidth}\" height=\"{height}\"/>");
        }

        return svg.Append("</svg>").ToString();
    }
}
