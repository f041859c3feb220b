using System.CommandLine;
using System.Globalization;
using System.Text;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Server.Hosting;
using Sluice.State.Secrets;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice secrets set|list|rm|rotate-key|new-key</c>: secrets kept encrypted in the state store (docs/secrets.md).</summary>
internal static class SecretsCommand
{
    public static Command Create()
    {
        var command = new Command("secrets",
            """
            Secrets kept encrypted in the state store (AES-256-GCM under a master key that is never stored), for the
            config to use as ${secret:NAME}. The master key comes from SLUICE_MASTER_KEY (base64 of 32 bytes), or a
            file named by SLUICE_MASTER_KEY_FILE or state.master_key_file (mode 0600). A value is never an argument
            and is never printed. See docs/secrets.md.

            Examples:
              sluice secrets new-key --file /etc/sluice/master.key
              printf %s "$SEGMENT_WRITE_KEY" | sluice secrets set SEGMENT_WRITE_KEY
              sluice secrets set SALESFORCE_CLIENT_SECRET      (asks for the value, without echo)
              sluice secrets list
              sluice secrets rm OLD_TOKEN
              sluice secrets rotate-key --new-key-file /etc/sluice/master.key.new
            """);
        command.Subcommands.Add(Set());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(RotateKey());
        command.Subcommands.Add(NewKey());
        return command;
    }

    private static Command Set()
    {
        var name = new Argument<string>("name") { Description = "The secret's name, as ${secret:NAME} refers to it." };
        var command = new Command("set",
            """
            Store a secret, encrypted, replacing any value it had. The value is read from stdin (one trailing newline
            is dropped); at a terminal it is asked for without echo. It is never taken as an argument, since arguments
            end up in shell history and in the process list.
            """)
        {
            name,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var secretName = parse.GetValue(name)!;
            if (!SecretReference.IsValidName(secretName))
            {
                Output.Error($"'{secretName}' is not a valid secret name: {SecretReference.NameRule}");
                return ExitCodes.Usage;
            }

            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            var key = MasterKey.Require(config.State.MasterKeyFile);
            var value = ReadValue(secretName);
            if (value.Length == 0)
            {
                Output.Error("the value is empty: nothing was stored (pipe the value on stdin, e.g. printf %s \"$TOKEN\" | sluice secrets set NAME)");
                return ExitCodes.Usage;
            }

            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var created = await (await workspace.StateAsync(ct)).Secrets.SetAsync(secretName, value, key, ct);
            Output.Ok($"secret '{secretName}' {(created ? "stored" : "replaced")}, encrypted under master key {key.Id}; refer to it as {SecretReference.For(secretName)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the stored secrets: name, the master key each is encrypted under, when set and last changed (UTC). Never a value.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var secrets = await (await workspace.StateAsync(ct)).Secrets.ListAsync(ct);
            if (secrets.Count == 0)
            {
                Output.Line("no secrets stored");
                return ExitCodes.Ok;
            }

            var current = MasterKey.FromEnvironment(config.State.MasterKeyFile)?.Id;
            foreach (var secret in secrets)
            {
                Output.Line(string.Create(CultureInfo.InvariantCulture,
                    $"{secret.Name}\tkey {secret.KeyId}{(current is not null && current != secret.KeyId ? " (not the master key given)" : "")}\tcreated {secret.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}\tupdated {secret.UpdatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}"));
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The secret to delete." };
        var command = new Command("rm", "Delete a stored secret. A config that still refers to it fails to load the key that does, naming it.") { name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var secretName = parse.GetValue(name)!;
            if (!await (await workspace.StateAsync(ct)).Secrets.RemoveAsync(secretName, ct))
            {
                Output.Error($"no secret named '{secretName}' (see `sluice secrets list`)");
                return ExitCodes.Failure;
            }

            Output.Ok($"secret '{secretName}' deleted");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command RotateKey()
    {
        var newKeyFile = new Option<string>("--new-key-file")
        {
            Description = "The file holding the new master key (base64 of 32 bytes, mode 0600); `sluice secrets new-key --file PATH` writes one.",
            Required = true,
        };
        var command = new Command("rotate-key",
            """
            Re-encrypt every stored secret under a new master key, in one transaction. The current key is read as
            usual (SLUICE_MASTER_KEY, SLUICE_MASTER_KEY_FILE or state.master_key_file); the new one from
            --new-key-file. Afterwards give Sluice the new key (point SLUICE_MASTER_KEY_FILE or state.master_key_file
            at the new file) and restart every `sluice run`: the old key no longer decrypts anything. Running it again
            is harmless (secrets already under the new key are left as they are).
            """)
        {
            newKeyFile,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            var oldKey = MasterKey.Require(config.State.MasterKeyFile);
            var path = parse.GetValue(newKeyFile)!;
            var newKey = MasterKey.FromFile(path, "--new-key-file");
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var count = await (await workspace.StateAsync(ct)).Secrets.RotateAsync(oldKey, newKey, ct);
            Output.Ok($"{count} secret(s) re-encrypted from master key {oldKey.Id} to {newKey.Id}");
            Output.Hint($"now give Sluice the new key: SLUICE_MASTER_KEY_FILE={Path.GetFullPath(path)} (or state.master_key_file), and restart every `sluice run`");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command NewKey()
    {
        var file = new Option<string>("--file") { Description = "Where to write the new key; created with mode 0600, never overwritten.", Required = true };
        var command = new Command("new-key", "Write a new random master key to a file (mode 0600). Keep a copy somewhere safe: without it the secrets cannot be read.") { file };
        command.SetAction((parse, _) => CommandRunner.RunAsync(() =>
        {
            var path = parse.GetValue(file)!;
            if (File.Exists(path))
            {
                Output.Error($"'{path}' exists: nothing was written (a key file is never overwritten)");
                return Task.FromResult(ExitCodes.Failure);
            }

            var key = MasterKey.Generate();
            key.WriteNewFile(path);
            Output.Ok($"master key {key.Id} written to {path} (mode 0600)");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    /// <summary>The value from stdin: typed without echo at a terminal, else piped (one trailing newline dropped).</summary>
    private static string ReadValue(string name)
    {
        if (!Console.IsInputRedirected)
        {
            Console.Error.Write($"value for {name} (not echoed): ");
            var typed = new StringBuilder();
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (typed.Length > 0)
                    {
                        typed.Length--;
                    }
                }
                else if (!char.IsControl(key.KeyChar))
                {
                    typed.Append(key.KeyChar);
                }
            }

            Console.Error.WriteLine();
            return typed.ToString();
        }

        var text = Console.In.ReadToEnd();
        return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
    }
}
