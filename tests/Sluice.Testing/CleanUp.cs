namespace Sluice.Testing;

/// <summary>
/// A test body and its clean-up, run so that the clean-up never hides why the body failed: in a <c>finally</c>
/// block, a clean-up that throws (a slot still held, a server already gone) replaces the assertion that made it fail.
/// </summary>
public static class CleanUp
{
    /// <summary>
    /// Runs <paramref name="body"/>, then <paramref name="cleanUp"/> whatever happened. The body's failure is what
    /// the test reports; when the clean-up fails too, both are reported, the body's first. A clean-up that fails after
    /// a passing body fails the test (it left something behind).
    /// </summary>
    public static async Task AfterAsync(Func<Task> body, Func<Task> cleanUp)
    {
        try
        {
            await body();
        }
        catch (Exception failure)
        {
            try
            {
                await cleanUp();
            }
            catch (Exception cleanUpFailure)
            {
                throw new AggregateException($"the test failed ({failure.Message}), and then its clean-up failed too ({cleanUpFailure.Message})", failure, cleanUpFailure);
            }

            throw;
        }

        await cleanUp();
    }
}
