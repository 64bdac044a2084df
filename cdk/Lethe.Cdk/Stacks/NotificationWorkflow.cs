using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/notify.asl.json as deployed (<see cref="AslWorkflow"/>): the notification port. Its state machine is the only
/// publisher to the notifications topic; its one function records each notice in the outbox (the Jobs table) and the audit.
/// Senders hold one action on it: starting an execution (<see cref="AslWorkflow.GrantStartExecution"/>).
/// </summary>
public sealed class NotificationWorkflow : AslWorkflow
{
    public NotificationWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
        : base(scope, id, state, Handlers.NotifyWorkflow, definitionFile, [], createFunction)
    {
        // A notice that could not be published or recorded after its retries fails its execution: operators hear of it.
        AlarmOnFailedExecutions("NoticesNotSent", "A notice execution failed (not published, or not recorded in the outbox and the audit); see the execution named notice-….");
    }

    protected override void Grant(string handler, Function target)
    {
        switch (handler)
        {
            case Handlers.NotifyCompose:
                // Checks and composes from its input alone.
                break;
            case Handlers.NotifyRecord:
                // The outbox item (a conditional put beside the tenant's jobs); the audit event comes with every step's grants.
                GrantTable(target, Table(ResourceCatalog.Jobs), "dynamodb:PutItem");
                break;
            default:
                throw new InvalidOperationException($"The notify workflow names a handler without grants: {handler}. Add its grants to NotificationWorkflow.");
        }
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.NotifyCompose => "Notify workflow: checks a notice is one Lethe sends (ids only) and composes its message and audience from the checked fields.",
        Handlers.NotifyRecord => "Notify workflow: records a notice (ids only) in the tenant's outbox and the audit, once, and composes its message.",
        _ => $"Notify workflow step {handler}.",
    };
}
