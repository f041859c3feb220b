namespace Sluice.Segment.Engage;

/// <summary>What an <see cref="EngageDelivery"/> changes.</summary>
public enum EngageDeliveryKind
{
    /// <summary>A profile entered or left an audience.</summary>
    Audience,

    /// <summary>A computed trait's value changed.</summary>
    Trait,
}
