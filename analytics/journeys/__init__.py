"""Customer journeys: the timeline's stage (``stages``) and the predicted next action
from the customer's observed transitions (``transitions``)."""
