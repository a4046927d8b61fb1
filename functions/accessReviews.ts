import { ACCESS_REVIEW_ROUTES } from '../shared/api/accessReviews/reviewRoutes';
import { AREA_METHODS, graphArea } from '../shared/api/graphArea';
import { httpHandler } from '../shared/api/httpHandler';
import { registerHttp } from '../shared/hosting/registry';

const AREA = 'v1.0/identityGovernance/accessReviews';

/** The Graph v1.0 access reviews API, for the reviews of access package assignments. */
export const accessReviews = graphArea(AREA, ACCESS_REVIEW_ROUTES);

registerHttp('accessReviews', { route: `${AREA}/{*path}`, methods: AREA_METHODS, handler: httpHandler(accessReviews) });
