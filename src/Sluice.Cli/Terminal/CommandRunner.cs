using Sluice.Cli.Commands;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Cli.Terminal;

/// <summary>
/// Runs a command body and turns what escapes it into a plain message and an exit code.
/// Users never see a stack trace; <c>SLUICE_DEBUG=1</c> shows one for a bug report.
/// </summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ConfigException e)
        {
            Output.Error(e.Message);
            return ExitCodes.Usage;
        }
        catch (SluiceException e) when (e.Class == ErrorClass.Config)
        {
            Output.Error(e.Message);
            return ExitCodes.Usage;
        }
        catch (SluiceException e)
        {
            Output.Error(e.Message);
            Debug(e);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            Output.Hint("stopped; committed progress is kept and the next run resumes from it");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            Output.Error($"internal error: {e.Message}");
            Output.Hint("this is a bug in Sluice; run again with SLUICE_DEBUG=1 to print details for a report");
            Debug(e);
            return ExitCodes.Failure;
        }
    }

    private static void Debug(Exception e)
    {
        if (Environment.GetEnvironmentVariable("SLUICE_DEBUG") is "1" or "true")
        {
            Console.Error.WriteLine(e.ToString());
        }
    }
}
