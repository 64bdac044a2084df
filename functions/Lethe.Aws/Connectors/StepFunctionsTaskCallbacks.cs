using Lethe.Aws.StepFunctions;
using Lethe.Domain.Connectors;

namespace Lethe.Aws.Connectors;

/// <summary>Resumes a waiting task with SendTaskSuccess; a token Step Functions no longer knows (timed out, execution over) is false.</summary>
public sealed class StepFunctionsTaskCallbacks(StepFunctionsClient stepFunctions) : ITaskCallbacks
{
    public async Task<bool> SucceedAsync(string taskToken, string output, CancellationToken cancellationToken)
    {
        try
        {
            await stepFunctions.SendTaskSuccessAsync(new SendTaskSuccessRequest(taskToken, output), cancellationToken);
            return true;
        }
        catch (TaskTokenRejectedException)
        {
            return false;
        }
    }
}
