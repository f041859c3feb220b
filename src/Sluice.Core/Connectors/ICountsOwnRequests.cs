namespace Sluice.Core.Connectors;

/// <summary>
/// A destination that sends several requests for one batch (sObject Collections of 200, a Bulk job's create, upload,
/// polls and results) and takes each from its connection's gate (<see cref="ConnectorResources.GateOf"/>) itself, so
/// the shared budget counts the requests really sent. The engine then takes only the batch's events for it.
/// </summary>
public interface ICountsOwnRequests : IDestination
{
}
