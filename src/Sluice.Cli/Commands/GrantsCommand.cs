using System.CommandLine;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Postgres.Security;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice grants --role NAME --for warehouse|events|records|source|state</c>: the least-privilege SQL a DBA runs (W3, P6).</summary>
internal static class GrantsCommand
{
    public static Command Create()
    {
        var role = new Option<string>("--role") { Description = "The role Sluice logs in as (the connection's 'user:').", Required = true };
        var target = new Option<string>("--for") { Description = "What the role does: warehouse, events, records, source or state.", Required = true };
        target.AcceptOnlyFromAmong("warehouse", "events", "records", "source", "state");
        var connection = new Option<string?>("--connection") { Description = "The postgres connection, as named under 'connections:'; needed only when several fit." };
        var command = new Command("grants",
            """
            Print the SQL a DBA runs so that a role can do exactly what Sluice needs on a database, and no more.
            The tables, schemas and databases are taken from sluice.yaml. Nothing is executed.

              warehouse  CONNECT, CREATE, TEMPORARY on the database (Sluice creates one schema per source)
              events     USAGE on the schema and INSERT on each events table the syncs write
              records    TEMPORARY on the database; SELECT, INSERT, UPDATE, DELETE on each records table; SELECT, INSERT, DELETE on its groups table
              source     USAGE and SELECT on the tables the syncs read; REPLICATION for CDC syncs
              state      CREATE on the database, for Sluice's state schema

            Examples:
              sluice grants --role sluice --for source
              sluice grants --role sluice_writer --for events --connection warehouse | psql -d warehouse
            """)
        {
            role,
            target,
            connection,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(() =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            var name = parse.GetValue(role)!;
            if (name.Trim().Length == 0)
            {
                throw new ConfigException(null, "--role is empty", "give the role Sluice logs in as, e.g. --role sluice");
            }

            var sql = new GrantsPlan(config, parse.GetValue(connection)).Sql(Enum.Parse<GrantTarget>(parse.GetValue(target)!, ignoreCase: true), name);
            Console.Out.Write(sql);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
