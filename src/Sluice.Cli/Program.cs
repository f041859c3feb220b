using Sluice.Cli.Commands;

return await SluiceCli.RunAsync(args);
