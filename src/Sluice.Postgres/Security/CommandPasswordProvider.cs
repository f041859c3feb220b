using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Security;

/// <summary>
/// <c>password_command:</c>: runs a command that prints a short-lived password on stdout (an RDS IAM
/// token, a Vault lease) and reuses it for <see cref="PasswordCommandOptions.Refresh"/>. What the command
/// prints is never logged or put in a message; its stderr's first line is, when it fails.
/// </summary>
internal sealed class CommandPasswordProvider : IPasswordProvider, IDisposable
{
    private readonly PasswordCommandOptions _options;
    private readonly string _what;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _password;
    private DateTimeOffset _fetchedAt;

    /// <param name="what">The connection, as messages name it.</param>
    public CommandPasswordProvider(PasswordCommandOptions options, string what, TimeProvider time)
    {
        if (options.Command.Count == 0)
        {
            throw new ArgumentException("the command is empty", nameof(options));
        }

        _options = options;
        _what = what;
        _time = time;
    }

    public async ValueTask<string> GetPasswordAsync(CancellationToken ct)
    {
        // One run at a time: a pool opening ten connections at once asks once, not ten times.
        await _gate.WaitAsync(ct);
        try
        {
            if (_password is null || _time.GetUtcNow() - _fetchedAt >= _options.Refresh)
            {
                _password = await RunAsync(ct);
                _fetchedAt = _time.GetUtcNow();
            }

            return _password;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<string> RunAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var argv = _options.Command.Count == 1 ? ["/bin/sh", "-c", _options.Command[0]] : _options.Command;
        start.FileName = argv[0];
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw Fail($"{_options.ProgramName} could not be started", "check the command", transient: false);
        }
        catch (Win32Exception)
        {
            throw Fail($"{_options.ProgramName} was not found or cannot be run", "install it, give its full path, or make it executable", transient: false);
        }

        using (process)
        {
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(_options.Timeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync(linked.Token);
                var stderr = process.StandardError.ReadToEndAsync(linked.Token);
                await process.WaitForExitAsync(linked.Token);
                var password = (await stdout).Trim();
                var errors = await stderr;
                if (process.ExitCode != 0)
                {
                    var firstLine = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
                    var code = process.ExitCode.ToString(CultureInfo.InvariantCulture);
                    var why = firstLine is null ? $"exited with code {code}" : $"exited with code {code}: {firstLine}";
                    throw process.ExitCode == 127 && _options.Command.Count == 1
                        ? Fail($"{_options.ProgramName} {why}", "the shell did not find the program: install it or give its full path", transient: false)
                        : Fail($"{_options.ProgramName} {why}", "run the command yourself to see why; Sluice will run it again on the next connection", transient: true);
                }

                return password.Length > 0
                    ? password
                    : throw Fail($"{_options.ProgramName} printed nothing on stdout", "make the command print the password (and only the password) on stdout", transient: false);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                if (ct.IsCancellationRequested)
                {
                    throw;
                }

                throw Fail($"{_options.ProgramName} did not finish within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s",
                    "check that it does not wait for input, or raise password_command_timeout", transient: true);
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it exited on its own meanwhile
        }
    }

    private SluiceException Fail(string problem, string fix, bool transient) =>
        transient ? SluiceException.Transient($"{_what}: {problem}; {fix}") : SluiceException.Fatal($"{_what}: {problem}; {fix}");
}
