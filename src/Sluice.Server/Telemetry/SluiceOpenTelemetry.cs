using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sluice.Core.Telemetry;

namespace Sluice.Server.Telemetry;

/// <summary>
/// The OpenTelemetry pipeline of <c>sluice run</c>: the <see cref="SluiceTelemetry.Name"/> meter for the Prometheus
/// exporter at <c>/metrics</c>, and — when an OTLP endpoint is set in the standard environment variables — metrics and
/// traces (Sluice's own spans, ingest requests, the destination's HTTP calls and the database's queries) over OTLP.
/// </summary>
public static class SluiceOpenTelemetry
{
    /// <summary>The variables the OTLP exporter reads (OpenTelemetry's specification); any of them switches OTLP on.</summary>
    public static readonly IReadOnlyList<string> OtlpEndpointVariables =
        ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"];

    public const string ServiceName = "sluice";

    /// <summary>Whether the environment names an OTLP endpoint to export to.</summary>
    public static bool OtlpConfigured(Func<string, string?> environment) =>
        OtlpEndpointVariables.Any(v => !string.IsNullOrWhiteSpace(environment(v)));

    public static IServiceCollection AddSluiceOpenTelemetry(this IServiceCollection services, bool otlp)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceVersion: typeof(SluiceOpenTelemetry).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SluiceTelemetry.Name).AddPrometheusExporter(Prometheus);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            })
            .WithTracing(tracing =>
            {
                // Spans are only made for an exporter: without OTLP, nothing would ever read them.
                if (otlp)
                {
                    tracing.AddSource(SluiceTelemetry.Name)
                        .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal))
                        .AddHttpClientInstrumentation()
                        .AddNpgsql()
                        .AddOtlpExporter();
                }
            });
        return services;
    }

    /// <summary>
    /// The series come out as earlier versions served them: no <c>otel_scope_*</c> labels on every line, and each
    /// scrape collected afresh (the health series have just been read from the state store).
    /// </summary>
    internal static void Prometheus(PrometheusAspNetCoreOptions options)
    {
        options.ScopeInfoEnabled = false;
        options.ScrapeResponseCacheDurationMilliseconds = 0;
    }
}
