namespace Sluice.Postgres.Destinations.Engage;

/// <summary>The two tables the application reads (docs/segment.md, S6): one row per profile and audience, one per profile and trait.</summary>
internal static class EngageTablesDdl
{
    public static string Audiences(string qualified) =>
        $"""
        CREATE TABLE IF NOT EXISTS {qualified} (
            user_id    text        NOT NULL,
            audience   text        NOT NULL,
            member     boolean     NOT NULL,
            updated_at timestamptz NOT NULL,
            space_id   text,
            message_id text        NOT NULL,
            PRIMARY KEY (user_id, audience)
        )
        """;

    public static string Traits(string qualified) =>
        $"""
        CREATE TABLE IF NOT EXISTS {qualified} (
            user_id    text        NOT NULL,
            trait      text        NOT NULL,
            value      jsonb,
            updated_at timestamptz NOT NULL,
            space_id   text,
            message_id text        NOT NULL,
            PRIMARY KEY (user_id, trait)
        )
        """;
}
