using Lethe.Aws.StepFunctions;

namespace Lethe.Tests.Integration.Fixtures;

public static class Executions
{
    /// <summary>Polls an execution until it closes, within a deadline (the workflow's own Wait states set its pace).</summary>
    public static async Task<DescribeExecutionResponse> WaitUntilClosedAsync(this StepFunctionsClient client, string executionArn, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var execution = await client.DescribeExecutionAsync(executionArn, deadline.Token);
            if (execution.Status != "RUNNING")
            {
                return execution;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
        }
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 80)];
}
