namespace Sluice.Dev.Demo.Internal;

/// <summary>A name as shown, and the ASCII slug that goes into an email address.</summary>
internal sealed record DemoName(string Display, string Slug);
